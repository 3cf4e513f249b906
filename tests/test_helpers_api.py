"""helpers의 공개 이름: 모두 불러올 수 있고, 설명(docstring)이 있다."""
from __future__ import annotations

import inspect

import matplotlib

import helpers


def test_every_public_name_resolves_and_is_documented():
    for name in helpers.__all__:
        obj = getattr(helpers, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"helpers.{name}에 설명이 없습니다"


def test_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        helpers.no_such_helper  # noqa: B018


def test_importing_helpers_sets_korean_font():
    families = matplotlib.rcParams["font.family"]
    assert any("Nanum" in f for f in families), families
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_glue_writes_the_same_output_as_myst_nb():
    """helpers.glue는 Colab에 없는 myst_nb.glue와 똑같은 출력을 낸다."""
    from unittest import mock

    import myst_nb

    calls = []
    with mock.patch("IPython.display.display", side_effect=lambda *a, **k: calls.append((a, k))):
        helpers.glue("x", 89.75)
        import myst_nb.ext.glue as mg

        with mock.patch.object(mg, "ipy_display", side_effect=lambda *a, **k: calls.append((a, k))):
            myst_nb.glue("x", 89.75)
    assert len(calls) == 2 and calls[0] == calls[1]


def test_environment_line_names_versions_and_device():
    import torch

    line = helpers.environment_line("cpu")
    assert torch.__version__ in line and "cpu" in line


def test_expect_error_catches_and_shows_the_real_error(capsys):
    with helpers.expect_error(RuntimeError) as caught:
        raise RuntimeError("모양이 맞지 않습니다")
    assert caught.message == "RuntimeError: 모양이 맞지 않습니다"
    assert "RuntimeError: 모양이 맞지 않습니다" in capsys.readouterr().out


def test_expect_error_fails_when_nothing_goes_wrong():
    import pytest

    with pytest.raises(AssertionError, match="ValueError"):
        with helpers.expect_error(ValueError):
            pass
    with pytest.raises(KeyError):  # 기대하지 않은 종류의 오류는 그대로 올라간다
        with helpers.expect_error(ValueError):
            raise KeyError("x")
