"""6장의 세 합성곱 신경망. 6장에서 전부 풀어 쓴 것과 같은 코드이고, 7장부터 여기서 가져다 쓴다.

세 모델 모두 입력은 ``[N, 1, 28, 28]``(MNIST), 출력은 로짓 ``[N, 10]``이다.
``features``(합성곱과 풀링)와 ``classifier``(펼치기와 완전 연결 층) 두 부분으로 나뉘어 있어
``model.features[0]``이 언제나 첫 합성곱 층이다.
"""
from __future__ import annotations

from torch import nn

__all__ = ["DeepCNN", "LeNet", "TwoConvCNN"]


class LeNet(nn.Module):
    """LeNet을 닮은 작은 모델: 합성곱 1→6→16(커널 3, 패딩 없음), 풀링 두 번, 완전 연결 400→120→84→10."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=3),    # [N, 1, 28, 28] → [N, 6, 26, 26]
            nn.ReLU(),
            nn.MaxPool2d(2),                   # → [N, 6, 13, 13]
            nn.Conv2d(6, 16, kernel_size=3),   # → [N, 16, 11, 11]
            nn.ReLU(),
            nn.MaxPool2d(2),                   # → [N, 16, 5, 5] (11/2의 나머지는 버린다)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                      # → [N, 400]: 배치 차원(0)은 그대로 둔다
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class TwoConvCNN(nn.Module):
    """합성곱 두 층: 1→32→64(커널 3, 패딩 1), 풀링 두 번, 완전 연결 3136→10."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1),   # [N, 1, 28, 28] → [N, 32, 28, 28]
            nn.ReLU(),
            nn.MaxPool2d(2),                              # → [N, 32, 14, 14]
            nn.Conv2d(32, 64, kernel_size=3, padding=1),  # → [N, 64, 14, 14]
            nn.ReLU(),
            nn.MaxPool2d(2),                              # → [N, 64, 7, 7]
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                                 # → [N, 3136]
            nn.Linear(64 * 7 * 7, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    """합성곱(커널 3, 패딩 1) + 배치 정규화 + ReLU. 배치 정규화가 평균을 빼므로 합성곱의 편향은 뺀다."""
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


class DeepCNN(nn.Module):
    """합성곱 네 층(32-32-풀링-64-64-풀링), 층마다 배치 정규화, 드롭아웃 0.25, 완전 연결 3136→10."""

    def __init__(self, dropout: float = 0.25) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 32),    # [N, 1, 28, 28] → [N, 32, 28, 28]
            *conv_bn_relu(32, 32),   # → [N, 32, 28, 28]
            nn.MaxPool2d(2),         # → [N, 32, 14, 14]
            *conv_bn_relu(32, 64),   # → [N, 64, 14, 14]
            *conv_bn_relu(64, 64),   # → [N, 64, 14, 14]
            nn.MaxPool2d(2),         # → [N, 64, 7, 7]
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),            # → [N, 3136]
            nn.Dropout(dropout),
            nn.Linear(64 * 7 * 7, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
