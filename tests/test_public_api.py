from __future__ import annotations

import refsync


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert refsync.__all__ == sorted(refsync.__all__)
    for name in refsync.__all__:
        assert getattr(refsync, name) is not None, name
