"""Tests for aladdin_studio.logs (rotating file log with secret redaction)."""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from aladdin_studio import logs
from aladdin_studio.logs import RedactingFilter, add_secret, redact, setup_logging

SECRET = "fal-0e9a2c1b:SECRET7f3a9b"
RUNTIME_SECRET = "sk_RUNTIME_SECRET_0123456789"


@pytest.fixture(autouse=True)
def clean_logger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point XDG dirs at tmp_path and restore the aladdin_studio logger afterwards."""
    for var in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{var}_HOME", str(tmp_path / var.lower()))
    logger = logging.getLogger(logs.LOGGER_NAME)

    def reset() -> None:
        # In-process CLI tests that ran earlier may have set logging up already.
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True

    reset()
    yield logger
    reset()


def our_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if getattr(h, "_aladdin_studio_handler", False)]


def read_logs(path: Path) -> str:
    """All text of the log file and its rotated backups."""
    for handler in logging.getLogger(logs.LOGGER_NAME).handlers:
        handler.flush()
    return "".join(p.read_text(encoding="utf-8") for p in sorted(path.parent.glob(path.name + "*")))


def test_log_file_location_and_rotation_settings(tmp_path: Path, clean_logger) -> None:
    path = setup_logging("debug")
    assert path == tmp_path / "state" / "aladdin-studio" / "logs" / "aladdin-studio.log"
    (handler,) = our_handlers(clean_logger)
    assert isinstance(handler, RotatingFileHandler)
    assert handler.maxBytes == 1024 * 1024 and handler.backupCount == 5
    assert clean_logger.level == logging.DEBUG
    clean_logger.debug("hello")
    assert "hello" in read_logs(path)


def test_idempotent(clean_logger) -> None:
    setup_logging()
    setup_logging()
    assert len(our_handlers(clean_logger)) == 1
    setup_logging(console=True)
    setup_logging(console=True)
    assert len(our_handlers(clean_logger)) == 2
    setup_logging(level=logging.WARNING)
    assert len(our_handlers(clean_logger)) == 1
    assert clean_logger.level == logging.WARNING


def test_unknown_level_leaves_logging_untouched(clean_logger) -> None:
    setup_logging()
    handlers = list(clean_logger.handlers)
    with pytest.raises(ValueError):
        setup_logging("LOUD")
    assert clean_logger.handlers == handlers


def test_known_secrets_never_reach_the_file(clean_logger) -> None:
    path = setup_logging(secrets=[SECRET, "", "ab"])
    log = logging.getLogger("aladdin_studio.render")  # child loggers are covered too
    log.info("calling fal with %s", SECRET)
    log.info("settings: %(key)s", {"key": SECRET})
    log.warning(f"inline {SECRET} and url-encoded {SECRET.replace(':', '%3A')}")
    log.info("stack", stack_info=True, extra={"unused": SECRET})
    try:
        raise ValueError(f"rejected key {SECRET}")
    except ValueError:
        log.exception("generation failed for %r", SECRET)
    add_secret(RUNTIME_SECRET)
    log.error("later: %s", RUNTIME_SECRET)
    text = read_logs(path)
    assert SECRET not in text and "SECRET7f3a9b" not in text
    assert RUNTIME_SECRET not in text
    assert "Traceback" in text and "ValueError: rejected key ***" in text
    assert "calling fal with ***" in text and "later: ***" in text


@pytest.mark.parametrize(
    ("message", "leak", "expected"),
    [
        ("Authorization: Key abc123:def456", "abc123", "Authorization: Key ***"),
        ("headers={'Authorization': 'Key k1:s2'}", "k1:s2", "'Authorization': 'Key ***'"),
        ("got Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbG", "Bearer ***"),
        ("GET https://api/x?api_key=qwerty123&page=2", "qwerty123", "api_key=***&page=2"),
        ('{"xi-api-key": "el-4f5e6d7c"}', "el-4f5e6d7c", '"xi-api-key": "***"'),
        ("env FAL_KEY=fal-zzz:yyy loaded", "fal-zzz", "FAL_KEY=*** loaded"),
        ("FAL_API_KEY='quoted key'", "quoted key", "FAL_API_KEY='***'"),
        ("aws_secret_access_key = AKIA/abc+def", "AKIA/abc", "aws_secret_access_key = ***"),
        ("R2_SECRET_ACCESS_KEY=r2r2r2r2", "r2r2r2r2", "R2_SECRET_ACCESS_KEY=***"),
        ("connect mongodb://app:p4ssw0rd@db:27017", "p4ssw0rd", "mongodb://app:***@db"),
        ("NEO4J_PASSWORD: neo-pw-1", "neo-pw-1", "NEO4J_PASSWORD: ***"),
    ],
)
def test_credential_patterns_are_redacted(
    clean_logger, message: str, leak: str, expected: str
) -> None:
    path = setup_logging()
    clean_logger.info(message)
    clean_logger.info("as argument: %s", message)
    try:
        try:
            raise KeyError(message)
        except KeyError as inner:
            raise RuntimeError(f"wrapped {message}") from inner
    except RuntimeError:
        clean_logger.exception("failed")
    text = read_logs(path)
    assert leak not in text
    assert expected in text
    assert "The above exception was the direct cause" in text


def test_harmless_text_is_untouched() -> None:
    text = "max_tokens=500 tokens_used: 3 keyframes=12 http://host:8080/a@b neo4j_user=neo4j"
    assert RedactingFilter().redact(text) == text


def test_redact_function_and_unformattable_args(clean_logger) -> None:
    add_secret(RUNTIME_SECRET)
    assert redact(f"x {RUNTIME_SECRET} y") == "x *** y"
    path = setup_logging()
    clean_logger.info("two args %s %s", RUNTIME_SECRET)  # wrong number of arguments
    text = read_logs(path)
    assert RUNTIME_SECRET not in text and "unformattable" in text


def test_console_output_is_redacted(clean_logger, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(console=True, secrets=[SECRET])
    clean_logger.warning("key is %s", SECRET)
    err = capsys.readouterr().err
    assert "key is ***" in err and SECRET not in err


def test_does_not_propagate_to_root(clean_logger, caplog: pytest.LogCaptureFixture) -> None:
    setup_logging()
    clean_logger.warning("only in our file")
    assert "only in our file" not in caplog.text


def test_file_rotates_and_keeps_five_backups(clean_logger) -> None:
    path = setup_logging(secrets=[SECRET])
    line = "x" * 1000
    for i in range(7 * 1100):  # ~7.7 MB: forces more rotations than backups are kept
        clean_logger.info("%05d %s %s", i, SECRET, line)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == [f"aladdin-studio.log{s}" for s in ("", ".1", ".2", ".3", ".4", ".5")]
    for p in path.parent.iterdir():
        assert p.stat().st_size <= 1024 * 1024
    assert SECRET not in read_logs(path)


def test_rotation_limits_are_read_at_setup(clean_logger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    monkeypatch.setattr(logs, "BACKUP_COUNT", 2)
    path = setup_logging()
    for i in range(200):
        clean_logger.info("line %d %s", i, "y" * 100)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "aladdin-studio.log",
        "aladdin-studio.log.1",
        "aladdin-studio.log.2",
    ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_log_file_is_private(clean_logger) -> None:
    path = setup_logging()
    clean_logger.info("x")
    assert path.stat().st_mode & 0o077 == 0
