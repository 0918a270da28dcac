"""Voucher codes (schema/marketing/codes.py): shape and entropy, the check symbol catching
every single typo and transposition, lenient typing, the keyed lookup hash, sealing with
rotation and tampering, and where the keys come from. No database: these decisions must not
need one."""

import base64
import json
import re
import stat
from pathlib import Path

import pytest

from schema.marketing import codes
from schema.marketing.codes import (
    ALPHABET,
    InvalidCode,
    SealedCodeError,
    code_lookup_key,
    new_code,
    new_key_set,
    normalise_code,
    open_code,
    seal_code,
)

SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def _key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


def _keys(lookup: int, *seal: tuple[str, int]) -> str:
    return json.dumps({"lookup": _key(lookup),
                       "seal": [{"kid": kid, "key": _key(b)} for kid, b in seal]})


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty state directory and no configured keys."""
    monkeypatch.delenv(codes.KEYS_ENV, raising=False)
    monkeypatch.setenv(codes.STATE_DIR_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


def _symbols(code: str) -> str:
    return code.replace("-", "")


def test_new_codes_are_grouped_crockford_with_enough_entropy() -> None:
    made = [new_code() for _ in range(2000)]
    assert all(SHAPE.match(code) for code in made)
    assert len(set(made)) == len(made)
    assert codes.RANDOM_SYMBOLS * 5 >= 60
    # every symbol value appears at every random position: nothing is fixed or skewed away
    for position in range(codes.RANDOM_SYMBOLS):
        seen = {_symbols(code)[position] for code in made}
        assert seen == set(ALPHABET), position
    assert all(normalise_code(code) == code for code in made)


def test_every_single_substitution_is_caught() -> None:
    for code in [new_code() for _ in range(50)]:
        symbols = _symbols(code)
        for position, original in enumerate(symbols):
            for other in ALPHABET:
                if other == original:
                    continue
                typo = symbols[:position] + other + symbols[position + 1:]
                with pytest.raises(InvalidCode, match="check symbol"):
                    normalise_code(typo)


def test_every_transposition_is_caught() -> None:
    caught = 0
    for code in [new_code() for _ in range(200)]:
        symbols = list(_symbols(code))
        for i in range(len(symbols)):
            for j in range(i + 1, len(symbols)):
                if symbols[i] == symbols[j]:
                    continue
                swapped = symbols.copy()
                swapped[i], swapped[j] = swapped[j], swapped[i]
                with pytest.raises(InvalidCode):
                    normalise_code("".join(swapped))
                caught += 1
    assert caught > 200 * 100


def test_a_dropped_or_extra_symbol_or_foreign_letter_is_refused() -> None:
    symbols = _symbols(new_code())
    for bad in (symbols[:-1], symbols + "0", symbols[:5] + "U" + symbols[6:], "", "-" * 16,
                symbols[:5] + "*" + symbols[6:], symbols * 5):
        with pytest.raises(InvalidCode):
            normalise_code(bad)
    with pytest.raises(InvalidCode):
        normalise_code(None)  # type: ignore[arg-type]


def test_normalise_accepts_how_people_type_it() -> None:
    code = next(c for c in iter(new_code, None) if {"0", "1"} & set(c))
    symbols = _symbols(code)
    sloppy = symbols.lower().replace("0", "o").replace("1", "l")
    assert normalise_code(sloppy) == code
    assert normalise_code(" ".join(symbols[i:i + 4] for i in range(0, 16, 4))) == code
    assert normalise_code(f"  {symbols[:7]} - {symbols[7:]}\t") == code
    assert normalise_code(symbols.replace("1", "I")) == code
    assert normalise_code(code.lower()) == code


def test_lookup_key_is_stable_keyed_and_spelling_blind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("a", 2)))
    code = new_code()
    key = code_lookup_key(code)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert code_lookup_key(code.lower().replace("-", " ")) == key
    assert code_lookup_key(code) == key
    assert code_lookup_key(new_code()) != key
    # a new seal key leaves lookups alone; another lookup key changes them
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("b", 3), ("a", 2)))
    assert code_lookup_key(code) == key
    monkeypatch.setenv(codes.KEYS_ENV, _keys(9, ("a", 2)))
    assert code_lookup_key(code) != key
    with pytest.raises(InvalidCode):
        code_lookup_key(code[:-1] + ("0" if code[-1] != "0" else "1"))


def test_seal_and_open_round_trip_without_the_code_in_clear(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("a", 2)))
    code = new_code()
    sealed = seal_code(code.lower())
    assert set(sealed) == {"kid", "nonce", "ct"} and sealed["kid"] == "a"
    assert _symbols(code) not in json.dumps(sealed) and code not in json.dumps(sealed)
    assert open_code(sealed) == code
    assert seal_code(code) != sealed   # a fresh nonce every time


def test_tampering_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("a", 2), ("b", 3)))
    sealed = seal_code(new_code())
    ct = bytearray(base64.b64decode(sealed["ct"]))
    ct[0] ^= 1
    for altered in ({**sealed, "ct": base64.b64encode(bytes(ct)).decode()},
                    {**sealed, "nonce": base64.b64encode(b"\0" * 12).decode()},
                    {**sealed, "kid": "b"},
                    {**sealed, "ct": "not base64!"},
                    {"kid": "a", "nonce": sealed["nonce"]}):
        with pytest.raises(SealedCodeError):
            open_code(altered)
    with pytest.raises(SealedCodeError, match="no voucher key 'gone'"):
        open_code({**sealed, "kid": "gone"})


def test_rotation_keeps_old_codes_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("old", 2)))
    old_code = new_code()
    old = seal_code(old_code)
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("new", 3), ("old", 2)))
    new = seal_code(old_code)
    assert new["kid"] == "new"
    assert open_code(old) == open_code(new) == old_code
    monkeypatch.setenv(codes.KEYS_ENV, _keys(1, ("new", 3)))
    with pytest.raises(SealedCodeError):
        open_code(old)


def test_keys_file_is_created_once_owner_only(state_dir: Path) -> None:
    assert not state_dir.exists()
    code = new_code()
    key = code_lookup_key(code)
    path = state_dir / codes.KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = path.read_text()
    stored = json.loads(written)
    assert len(base64.b64decode(stored["lookup"])) == 32 and len(stored["seal"]) == 1
    sealed = seal_code(code)
    assert sealed["kid"] == stored["seal"][0]["kid"]
    assert path.read_text() == written and code_lookup_key(code) == key
    assert [p.name for p in state_dir.iterdir()] == [codes.KEYS_FILE]   # no temporary left
    assert open_code(sealed) == code


def test_the_key_file_decides_the_keys(state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / codes.KEYS_FILE).write_text(_keys(4, ("f", 5)))
    code = new_code()
    key = code_lookup_key(code)
    assert seal_code(code)["kid"] == "f"
    (state_dir / codes.KEYS_FILE).write_text(_keys(6, ("g", 5)))
    assert code_lookup_key(code) != key


def test_env_keys_take_precedence_over_the_file(state_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / codes.KEYS_FILE).write_text(_keys(4, ("file", 5)))
    code = new_code()
    from_file = code_lookup_key(code)
    monkeypatch.setenv(codes.KEYS_ENV, _keys(7, ("env", 8)))
    assert seal_code(code)["kid"] == "env"
    assert code_lookup_key(code) != from_file
    monkeypatch.setenv(codes.STATE_DIR_ENV, str(state_dir / "elsewhere"))
    code_lookup_key(code)
    assert not (state_dir / "elsewhere").exists()   # with env keys no file is made


@pytest.mark.parametrize("bad", [
    "not json",
    json.dumps({"seal": [{"kid": "a", "key": _key(1)}]}),
    json.dumps({"lookup": _key(1), "seal": []}),
    json.dumps({"lookup": _key(1), "seal": [{"kid": "a", "key": "c2hvcnQ="}]}),
    json.dumps({"lookup": "%%%", "seal": [{"kid": "a", "key": _key(1)}]}),
    json.dumps({"lookup": _key(1), "seal": [{"kid": "a", "key": _key(1)},
                                            {"kid": "a", "key": _key(2)}]}),
])
def test_malformed_keys_are_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, bad)
    with pytest.raises(ValueError, match="voucher keys"):
        code_lookup_key(new_code())


def test_new_key_set_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(codes.KEYS_ENV, new_key_set())
    code = new_code()
    assert open_code(seal_code(code)) == code
