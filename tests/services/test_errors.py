"""One error hierarchy: every user-facing error is an AladdinError with a kind, and the CLI
maps that one base to one line and exit 2."""

from __future__ import annotations

import pytest

from aladdin_studio.config import ConfigError
from aladdin_studio.errors import AladdinError, ErrorKind
from aladdin_studio.generation.errors import (
    ContentPolicyError,
    GenerationCancelled,
    GenerationError,
    RateLimitError,
)
from aladdin_studio.generation.job_kind import GenerationLimitError
from aladdin_studio.generation.registry import RegistryError
from aladdin_studio.jobs.store import LimitExceeded
from aladdin_studio.render.audio import AudioDecodeError
from aladdin_studio.render.compositor import ClipRenderError
from aladdin_studio.render.decode import DecodeError
from aladdin_studio.render.export import RenderError
from aladdin_studio.render.lut import EffectError
from aladdin_studio.render.plan import OfflineMediaError
from aladdin_studio.secrets import SecretStoreError
from aladdin_studio.timeline.errors import (
    ClipLimitError,
    CorruptProjectError,
    EditError,
    LockedTrackError,
    TimelineError,
)
from aladdin_studio.timeline.probe import MediaProbeError

USER_FACING = [TimelineError, EditError, LockedTrackError, ClipLimitError, CorruptProjectError,
               MediaProbeError, RenderError, DecodeError, OfflineMediaError, AudioDecodeError,
               EffectError, ClipRenderError, ConfigError, RegistryError, GenerationError,
               ContentPolicyError, RateLimitError, GenerationLimitError, LimitExceeded,
               SecretStoreError]
KINDS = {v for k, v in vars(ErrorKind).items() if not k.startswith("_")}


@pytest.mark.parametrize("cls", USER_FACING, ids=lambda c: c.__name__)
def test_every_user_facing_error_is_an_aladdin_error_with_a_kind(cls):
    assert issubclass(cls, AladdinError)
    assert cls.kind in KINDS and isinstance(cls.retryable, bool)


def test_kinds_and_retry_say_what_helps():
    assert issubclass(MediaProbeError, TimelineError)
    assert not issubclass(ConfigError, ValueError)
    assert RateLimitError.retryable and RateLimitError.kind == ErrorKind.RATE_LIMITED
    assert not ContentPolicyError.retryable and ContentPolicyError.kind == ErrorKind.POLICY
    assert GenerationCancelled.kind == ErrorKind.CANCELLED
    assert CorruptProjectError.kind == ErrorKind.CORRUPT
    assert OfflineMediaError.kind == ErrorKind.NOT_FOUND
    assert ConfigError("bad", field="video_default_fps").field == "video_default_fps"


def test_the_drop_error_is_one_too():
    from aladdin_studio.ui.timeline_view.drops import DropError

    assert issubclass(DropError, AladdinError)


def test_the_cli_maps_the_base_once(monkeypatch, capsys):
    from aladdin_studio import cli

    def boom(args, settings):
        raise RenderError("The disk is full\nwhile writing 'out.mp4'.")

    monkeypatch.setitem(cli.COMMANDS, "info", boom)
    assert cli.main(["info", "P.aladdin"]) == cli.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert err == "aladdin-studio: error: The disk is full while writing 'out.mp4'.\n"
