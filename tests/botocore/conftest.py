"""Fixtures of the botocore suite. Each test gets a fresh emulator process (`emu`: the demo
organisation; `paging_emu`: fixtures/paging.toml), so tests share no state: no tokens, faults,
clock offset or rate limit leak between them. Both run without the portal's rate limit; the tests
of throttling turn it on.
"""

import pytest

from emulator import PAGING_FIXTURE, Emulator


@pytest.fixture
def emu():
    """A fresh emulator serving the demo organisation, without the portal rate limit."""
    e = Emulator("--demo", "--rate-limit", "0")
    yield e
    e.close()


@pytest.fixture
def paging_emu():
    """A fresh emulator serving tests/botocore/fixtures/paging.toml, without the portal rate limit."""
    e = Emulator("--org", str(PAGING_FIXTURE), "--rate-limit", "0")
    yield e
    e.close()
