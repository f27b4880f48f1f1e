"""Redaction rules: keys at any depth, value patterns in strings, user patterns, counts, files."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared._events import LogCategory
from shared.redact import REDACTED, RedactionRules, Redactor, key_words, load_rules
from shared.writer.encode import MAX_DEPTH


def entry(message: str = "ok", **fields: Any) -> dict[str, Any]:
    """A record as the writer builds it, with ``fields``."""
    return {
        "timestamp": "2024-05-01T10:00:00.000000Z",
        "level": "info",
        "category": "network",
        "message": message,
        "target": "backend.api",
        "fields": fields,
        "span": None,
        "pid": 7,
    }


def redacted_fields(**fields: Any) -> Any:
    """The fields of a record after redaction by the default rules."""
    return Redactor().record(entry(**fields))["fields"]


class TestKeyWords:
    def test_splits_separators_and_camel_case(self) -> None:
        """Keys are cut into lowercase words at -, _, ., blanks and camelCase boundaries."""
        assert key_words("X-Api-Key") == ("x", "api", "key")
        assert key_words("apiKey") == ("api", "key")
        assert key_words("APIKey") == ("api", "key")
        assert key_words("db.access_token") == ("db", "access", "token")


class TestKeyRules:
    def test_redacts_a_listed_key(self) -> None:
        """The value of ``password`` becomes [REDACTED]; other fields are kept."""
        assert redacted_fields(password="hunter2", user="ann") == {
            "password": REDACTED,
            "user": "ann",
        }

    @pytest.mark.parametrize("key", ["PASSWORD", "Password", "Authorization", "COOKIE", "Passwd"])
    def test_matches_case_insensitively(self, key: str) -> None:
        """Listed keys match in any case."""
        assert redacted_fields(**{key: "x-secret-value"}) == {key: REDACTED}

    @pytest.mark.parametrize(
        "key",
        [
            "access_token",
            "X-Auth-Token",
            "api-key",
            "X-Api-Key",
            "apiKey",
            "apikey",
            "client_secret",
            "refreshTokens",
            "Set-Cookie",
            "HTTP_AUTHORIZATION",
            "user_session",
            "db.password",
        ],
    )
    def test_matches_keys_containing_a_listed_word(self, key: str) -> None:
        """A key holding a listed key's words (or them run together) is redacted."""
        assert redacted_fields(**{key: "value"}) == {key: REDACTED}

    @pytest.mark.parametrize(
        "key",
        [
            "session_id",
            "sessionId",
            "token_count",
            "password_length",
            "cookie_name",
            "token_type",
            "author",
            "tokenizer",
            "secretary",
            "passage",
            "request_id",
        ],
    )
    def test_keeps_qualified_and_unrelated_keys(self, key: str) -> None:
        """A listed word followed by a qualifier (id, count...) or only inside a word is kept."""
        assert redacted_fields(**{key: "value"}) == {key: "value"}

    def test_redacts_nested_dicts_and_lists_of_dicts(self) -> None:
        """Keys match at any depth: dicts in dicts and dicts in lists."""
        fields = redacted_fields(
            request={"headers": {"Authorization": "Basic dXNlcjpwdw==", "Accept": "*/*"}},
            accounts=[{"name": "a", "api_key": "k1"}, {"name": "b", "api_key": "k2"}],
        )
        assert fields == {
            "request": {"headers": {"Authorization": REDACTED, "Accept": "*/*"}},
            "accounts": [{"name": "a", "api_key": REDACTED}, {"name": "b", "api_key": REDACTED}],
        }

    def test_redacts_whole_containers_and_numbers_under_a_key(self) -> None:
        """Whatever a matched key holds becomes [REDACTED]: dicts, lists, numbers."""
        fields = redacted_fields(cookie={"sid": "1"}, tokens=["a", "b"], pin_password=1234)
        assert fields == {"cookie": REDACTED, "tokens": REDACTED, "pin_password": REDACTED}

    def test_keeps_none_under_a_key(self) -> None:
        """``password=None`` stays None: there is nothing to hide."""
        assert redacted_fields(password=None) == {"password": None}

    def test_listing_a_qualified_key_matches_it(self) -> None:
        """``session_id`` in the keys redacts session ids, which the defaults keep."""
        redactor = Redactor(RedactionRules(keys=["session_id"]))
        fields = redactor.record(entry(session_id="s-1", sessionId="s-2", session="s-3"))["fields"]
        assert fields == {"session_id": REDACTED, "sessionId": REDACTED, "session": "s-3"}

    def test_configured_keys_replace_the_defaults(self) -> None:
        """With ``keys=["pin"]`` only pin-like keys are redacted."""
        redactor = Redactor(RedactionRules(keys=["pin"]))
        fields = redactor.record(entry(pin="1234", password="x", user_pin="9"))["fields"]
        assert fields == {"pin": REDACTED, "password": "x", "user_pin": REDACTED}


class TestValuePatterns:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer [REDACTED]"),
            ("bearer eyJhbGciOi.J9x_y-z+/==", "bearer [REDACTED]"),
            (
                "dsn https://ann:pa55@db.example.com/x",
                "dsn https://ann:[REDACTED]@db.example.com/x",
            ),
            ("postgres://u:p@h:5432/db ok", "postgres://u:[REDACTED]@h:5432/db ok"),
            ("mail bob.smith+x@example.co.uk now", "mail [REDACTED] now"),
        ],
    )
    def test_masks_builtin_patterns(self, text: str, expected: str) -> None:
        """Bearer tokens, URL passwords and e-mail addresses are masked inside strings."""
        assert Redactor().text(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("GET /x?access_token=abc123&page=2", "GET /x?access_token=[REDACTED]&page=2"),
            ("kwargs {'password': 'hunter2', 'n': 1}", "kwargs {'password': '[REDACTED]', 'n': 1}"),
            ('body {"apiKey":"k-1","n":1}', 'body {"apiKey":"[REDACTED]","n":1}'),
            ('login password = "two words"', 'login password = "[REDACTED]"'),
        ],
    )
    def test_masks_values_of_listed_names_inside_strings(self, text: str, expected: str) -> None:
        """``name=value`` and quoted ``"name": value`` of listed keys are masked in text."""
        assert Redactor().text(text) == expected

    @pytest.mark.parametrize(
        "text",
        ["bearer tokens are short-lived", "session_id=abc", "Token: expired", "x=1 y=2", "a@b"],
    )
    def test_leaves_look_alikes_alone(self, text: str) -> None:
        """Prose, qualified names, unquoted ``name:`` and partial addresses are not masked."""
        assert Redactor().text(text) == text

    def test_masks_message_span_name_and_field_keys_but_not_target(self) -> None:
        """Patterns apply to the message, the span name and field keys; target is untouched."""
        record = entry("sent to ann@example.com", **{"ann@example.com": 3})
        record["target"] = "ann@example.com"
        record["span"] = {"name": "mail ann@example.com", "id": "1", "parent_id": None}
        out = Redactor().record(record)
        assert out["message"] == "sent to [REDACTED]"
        assert out["fields"] == {REDACTED: 3}
        assert out["span"] == {"name": f"mail {REDACTED}", "id": "1", "parent_id": None}
        assert out["target"] == "ann@example.com"

    def test_builtin_patterns_can_be_switched_off(self) -> None:
        """With ``builtin_patterns=False`` strings are left alone; keys are still redacted."""
        redactor = Redactor(RedactionRules(builtin_patterns=False))
        out = redactor.record(entry("Bearer abc.def.ghi ann@example.com", password="x"))
        assert out["message"] == "Bearer abc.def.ghi ann@example.com"
        assert out["fields"] == {"password": REDACTED}

    def test_redacting_twice_changes_and_counts_nothing_more(self) -> None:
        """Already redacted text and values are left as they are and not counted again."""
        redactor = Redactor()
        once = redactor.record(
            entry("Bearer abc.def.ghi https://u:pw@h/ a@b.io token=xyz1234", password="p")
        )
        counts = redactor.counts
        assert redactor.record(once) == once
        assert redactor.counts == counts

    def test_lone_surrogates_do_not_stop_masking(self) -> None:
        """Text RE2 cannot read as UTF-8 gets U+FFFD for the surrogate and is still masked."""
        assert Redactor().text("\ud800 ann@example.com") == f"\ufffd {REDACTED}"


class TestUserPatterns:
    def test_masks_user_pattern_matches(self) -> None:
        """A configured pattern masks its whole match, counted as ``pattern:<name>``."""
        redactor = Redactor(RedactionRules(patterns={"serial": r"MSC-[0-9]{4}-[0-9]{4}"}))
        assert redactor.text("device MSC-1234-5678 armed") == f"device {REDACTED} armed"
        assert redactor.counts["pattern:serial"] == 1

    def test_pattern_re2_cannot_compile_names_the_rule(self) -> None:
        """A look-behind (not RE2) is a ValueError naming the rule."""
        with pytest.raises(ValueError, match=r"pattern 'after_pin'.*RE2 cannot compile"):
            RedactionRules(patterns={"after_pin": r"(?<=pin=)\d+"})

    def test_pattern_matching_empty_text_is_refused(self) -> None:
        """A pattern that matches the empty string is refused, naming the rule."""
        with pytest.raises(ValueError, match=r"pattern 'digits'.*matches the empty string"):
            Redactor(RedactionRules(patterns={"digits": r"[0-9]*"}))

    def test_nested_quantifiers_run_in_linear_time(self) -> None:
        """A pattern that backtracks exponentially in Python's re finishes on a long input."""
        redactor = Redactor(RedactionRules(patterns={"evil": r"(a+)+$"}))
        text = "a" * 50_000 + "!"
        assert redactor.text(text) == text


class TestCounts:
    def test_every_rule_is_listed_from_zero(self) -> None:
        """Counts name each key rule, each built-in pattern and each user pattern."""
        redactor = Redactor(RedactionRules(keys=["pin"], patterns={"serial": "MSC-[0-9]+"}))
        assert redactor.counts == {
            "key:pin": 0,
            "url_credentials": 0,
            "bearer": 0,
            "email": 0,
            "pattern:serial": 0,
        }

    def test_counts_values_changed_per_rule(self) -> None:
        """Each rule counts the values it changed; two addresses in one string count once."""
        redactor = Redactor()
        redactor.record(entry("a@x.io and b@y.io", password="p", db={"passwd": "q"}))
        redactor.record(entry("Bearer abc.def.ghi", access_token="t", note="c@z.io"))
        counts = redactor.counts
        assert counts["email"] == 2
        assert counts["key:password"] == 1
        assert counts["key:passwd"] == 1
        assert counts["key:token"] == 1
        assert counts["bearer"] == 1
        assert counts["url_credentials"] == 0


@dataclasses.dataclass
class Login:
    """A dataclass orjson would write as an object."""

    user: str
    password: str


class Account(BaseModel):
    """A model the writer writes as its JSON form."""

    email: str
    api_key: str


class Opaque:
    """An object the writer writes as its repr."""

    def __repr__(self) -> str:
        return "Opaque(owner=ann@example.com)"


class TestRecordCopy:
    def test_input_is_not_mutated(self) -> None:
        """The record and everything inside it are left exactly as they were."""
        record = entry(
            "Bearer abc.def.ghi", password="p", nested=[{"token": "t", "mail": "a@b.io"}]
        )
        record["span"] = {"name": "a@b.io", "id": "1", "parent_id": None}
        before = copy.deepcopy(record)
        out = Redactor().record(record)
        assert record == before
        assert out["fields"] is not record["fields"]

    def test_containers_are_copies_even_when_nothing_changed(self) -> None:
        """The copy shares no dict or list with the input."""
        record = entry(nested={"list": [1, 2]})
        out = Redactor().record(record)
        assert out["fields"]["nested"] == {"list": [1, 2]}
        assert out["fields"]["nested"]["list"] is not record["fields"]["nested"]["list"]

    def test_other_values_are_redacted_as_the_writer_would_write_them(self) -> None:
        """Dataclasses, models, bytes, sets and other objects are redacted in their JSON form."""
        fields = redacted_fields(
            login=Login("ann", "hunter2"),
            account=Account(email="ann@example.com", api_key="k"),
            raw=b"Bearer abcdefghijk",
            tags={"b", "a"},
            thing=Opaque(),
        )
        assert fields == {
            "login": {"user": "ann", "password": REDACTED},
            "account": {"email": REDACTED, "api_key": REDACTED},
            "raw": f"Bearer {REDACTED}",
            "tags": ["a", "b"],
            "thing": f"Opaque(owner={REDACTED})",
        }

    def test_enums_dates_and_uuids_are_kept_as_they_are(self) -> None:
        """Values orjson writes natively and that hold no free text are left untouched."""
        moment = datetime(2024, 5, 1, tzinfo=UTC)
        ident = uuid.uuid4()
        fields = redacted_fields(category=LogCategory.MIDI, at=moment, id=ident)
        assert fields == {"category": LogCategory.MIDI, "at": moment, "id": ident}
        assert type(fields["category"]) is LogCategory

    def test_cycles_and_deep_nesting_do_not_fail(self) -> None:
        """A container inside itself becomes "<cycle>"; past the writer's depth, masked text."""
        loop: dict[str, Any] = {"mail": "a@b.io"}
        loop["self"] = loop
        deep: Any = "ann@example.com"
        for _ in range(MAX_DEPTH + 50):
            deep = [deep]
        fields = redacted_fields(loop=loop, deep=deep)
        assert fields["loop"] == {"mail": REDACTED, "self": "<cycle>"}
        assert "ann@example.com" not in json.dumps(fields["deep"])

    def test_entry_without_fields_keeps_its_keys(self) -> None:
        """A raw entry (a line that was no record) has its message masked, its keys kept."""
        raw = {"message": "token=abc123 for a@b.io", "raw": True, "level": "info"}
        assert Redactor().record(raw) == {
            "message": f"token={REDACTED} for {REDACTED}",
            "raw": True,
            "level": "info",
        }


class TestLoadRules:
    def test_none_gives_the_defaults(self) -> None:
        """No file: the documented default keys and the built-in patterns."""
        rules = load_rules(None)
        assert rules.keys == [
            "password",
            "passwd",
            "secret",
            "token",
            "api_key",
            "authorization",
            "cookie",
            "session",
        ]
        assert (rules.patterns, rules.builtin_patterns) == ({}, True)

    def test_reads_toml(self, tmp_path: Path) -> None:
        """A TOML file sets keys and patterns; fields left out keep their defaults."""
        path = tmp_path / "rules.toml"
        path.write_text('keys = ["pin"]\n[patterns]\nserial = "MSC-[0-9]{4}"\n')
        rules = load_rules(path)
        assert rules == RedactionRules(keys=["pin"], patterns={"serial": "MSC-[0-9]{4}"})

    def test_reads_json(self, tmp_path: Path) -> None:
        """A JSON file holds the same fields."""
        path = tmp_path / "rules.json"
        path.write_text(json.dumps({"builtin_patterns": False, "patterns": {"ip": r"\d+\.\d+"}}))
        rules = load_rules(path)
        assert (rules.builtin_patterns, rules.patterns) == (False, {"ip": r"\d+\.\d+"})

    @pytest.mark.parametrize(
        ("name", "content", "problem"),
        [
            ("rules.toml", "keys = [", "not valid TOML"),
            ("rules.json", "{keys:", "not valid JSON"),
            ("rules.json", "[1, 2]", "expected an object"),
            ("rules.toml", 'colour = "red"', "colour: Extra inputs are not permitted"),
            ("rules.toml", "keys = 3", "keys: Input should be a valid list"),
            ("rules.toml", '[patterns]\nbad = "(?<=x)y"', "pattern 'bad'.*RE2 cannot compile"),
            ("rules.yaml", "keys: [pin]", "expected a .json or .toml file"),
        ],
    )
    def test_bad_file_names_the_file_and_problem(
        self, tmp_path: Path, name: str, content: str, problem: str
    ) -> None:
        """Each problem is a ValueError with the file's path and what is wrong."""
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(ValueError, match=f"{re.escape(str(path))}.*{problem}"):
            load_rules(path)

    def test_missing_file_names_the_file(self, tmp_path: Path) -> None:
        """A file that cannot be read is a ValueError naming it."""
        path = tmp_path / "absent.toml"
        with pytest.raises(ValueError, match=re.escape(f"cannot read redaction rules file {path}")):
            load_rules(path)
