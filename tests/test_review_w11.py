"""Session 11 review: what a new user (a Vietnamese legal assistant's builder, README only) hit, each
through the real ``corpuscope`` command."""

from __future__ import annotations

from conftest import SAMPLE


def test_app_port_out_of_range_is_a_usage_error_not_a_traceback(cli):
    """``corpuscope app --port 99999`` used to reach Streamlit's socket bind and die with an OverflowError
    traceback (exit 1); the flag's range is checked by click, exit 2, naming --port."""
    code, _, err = cli("app", "--port", "99999")
    assert code == 2
    assert "--port" in err and "Traceback" not in err
