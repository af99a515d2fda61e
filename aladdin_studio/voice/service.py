"""The voice service: what the CLI and the editor call (no Qt).

Voices: design (profile → description → 3 previews), save the chosen preview, list/search/
get/delete, assign a voice to a character. Dialogue: a script becomes voice jobs on the shared
queue (characters without a voice get a distinct default one, reported), then the finished
jobs become one undo step on the dialogue track. Sound effects likewise on the sfx track.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio

from aladdin_studio import paths

from ..timeline import commands as C
from ..timeline.document import Project
from .errors import VoiceInputError
from .jobs import VoicePayload, line_output, output
from .library import VoiceLibrary, characters, find_character, new_character, set_character_command
from .placement import (
    PlacedLine,
    line_record,
    line_take_command,
    place_lines_command,
    place_sfx_command,
)
from .profiles import Character, TTSSettings, VoiceProfile, describe_character
from .providers.base import (
    DialogueRequest,
    Preview,
    SoundRequest,
    SpeechRequest,
    SpeechResult,
)
from .providers.factory import get_provider, provider_name
from .script import ScriptLine, clean_text

if TYPE_CHECKING:
    from aladdin_studio.config import Settings
    from aladdin_studio.jobs.queue import JobQueue
    from aladdin_studio.jobs.store import Job

__all__ = ["DialogueBatch", "VoiceService"]


@dataclass
class LinePlan:
    line: ScriptLine
    character: Character
    settings: TTSSettings
    job_id: str = ""
    line_index: int = 0  # which line of a multi-speaker dialogue job


@dataclass
class DialogueBatch:
    """A submitted script: its lines, their jobs, and where they go."""

    scene: str
    lines: list[LinePlan]
    start: float = 0.0
    gap: float = 0.3
    new_characters: list[Character] = field(default_factory=list)  # created with a default voice
    provider: str = "local"
    project: str = ""  # the ledger's project key (one query reads every line's job)

    @property
    def job_ids(self) -> list[str]:
        return [p.job_id for p in self.lines]

    def report(self) -> list[str]:
        where = "ElevenLabs" if self.provider == "elevenlabs" else "offline"
        return [f"'{c.name}' had no {where} voice; gave them the default voice "
                f"{c.voice.voice_id} ({c.voice.name}). Design a better one in Voice > "
                "Character Voices." for c in self.new_characters if c.voice is not None]


class VoiceService:
    def __init__(self, queue: JobQueue | None = None, settings: Settings | None = None, *,
                 provider: str | None = None, library: VoiceLibrary | None = None) -> None:
        if settings is None:
            from aladdin_studio.config import load_settings

            settings = load_settings()
        self.settings = settings
        self.queue = queue
        self.provider_name = provider_name(settings, provider)
        self.library = library or VoiceLibrary()

    @property
    def provider(self) -> Any:
        return get_provider(self.provider_name, self.settings)

    # --- voices -----------------------------------------------------------------------

    def design(self, profile: VoiceProfile, text: str | None = None) -> tuple[str, list[Preview]]:
        """Three previews for ``profile`` (its description drives the voice description)."""
        description = clean_text(describe_character(
            profile.name, profile.description, profile.gender, profile.age, profile.accent,
            profile.style), 1000, "voice description")
        if text:
            text = clean_text(text, 1000, "preview text")
        out_dir = paths.cache_dir() / "voice-previews" / uuid.uuid4().hex[:12]
        previews = self.provider.design(description, profile, out_dir, text)
        self._remember_design(profile, description, previews)
        return description, previews

    def _design_file(self, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "voice"
        return paths.cache_dir() / "voice-previews" / f"last-{self.provider_name}-{slug}.json"

    def _remember_design(self, profile: VoiceProfile, description: str,
                         previews: list[Preview]) -> None:
        import json

        from aladdin_studio.files import atomic_path

        data = {"profile": profile.to_dict(), "description": description, "previews": [
            {"generated_voice_id": p.generated_voice_id, "path": str(p.path),
             "duration": p.duration, "text": p.text, "settings": p.settings}
            for p in previews]}
        with atomic_path(self._design_file(profile.name)) as tmp:
            tmp.write_text(json.dumps(data))

    def last_design(self, name: str) -> tuple[str, list[Preview]] | None:
        """The previews of the last design for voice ``name`` with this provider, if their
        files are still there (``voice design NAME --pick N`` keeps one of them)."""
        import json

        try:
            data = json.loads(self._design_file(name).read_text())
            previews = [Preview(d["generated_voice_id"], Path(d["path"]), float(d["duration"]),
                                str(d["text"]), dict(d.get("settings") or {}))
                        for d in data["previews"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not previews or not all(p.path.is_file() for p in previews):
            return None
        return str(data.get("description", "")), previews

    def save_designed(self, profile: VoiceProfile, preview: Preview,
                      keep_sample_in: Path | None = None) -> VoiceProfile:
        """Create the chosen preview as a voice and keep it in the user voice library; its
        sample moves out of the (disposable) preview cache into ``keep_sample_in`` (the
        project's media) or the data dir's ``voice-samples/``."""
        keep = keep_sample_in or paths.data_dir() / "voice-samples"
        keep.mkdir(parents=True, exist_ok=True)
        tag = re.sub(r"[^A-Za-z0-9]+", "-", f"{profile.name}-{preview.generated_voice_id}")
        target = keep / f"voice-sample-{tag.strip('-')[:48]}.wav"
        target.write_bytes(Path(preview.path).read_bytes())
        preview = replace(preview, path=target)
        voice = self.provider.create_voice(replace(profile, provider=self.provider_name),
                                           preview)
        return self.library.save(voice)

    def list_voices(self, search: str = "") -> list[VoiceProfile]:
        return self.provider.list_voices(search)

    def delete_voice(self, name_or_id: str) -> VoiceProfile | None:
        """Delete from the account (ElevenLabs) and the library; the library entry removed."""
        saved = self.library.find(name_or_id)
        voice_id = saved.voice_id if saved else name_or_id
        if saved is None and self.provider_name != "elevenlabs":
            from .errors import VoiceNotFound

            raise VoiceNotFound(f"No voice '{name_or_id}' in the voice library "
                                f"({self.library.path}).")
        if (saved.provider if saved else self.provider_name) == "elevenlabs":
            get_provider("elevenlabs", self.settings).delete_voice(voice_id)
        if saved is not None:
            self.library.remove(saved.name)
        return saved

    def assign_command(self, project: Project, character_name: str,
                       voice: VoiceProfile | None, description: str | None = None,
                       tts: TTSSettings | None = None,
                       references: list[str] | None = None) -> C.Command:
        """Give a character (created if new) this voice, TTS settings and/or master
        references (ids of the reference library, or image files added to it as character
        references): one undoable step. ``None`` keeps what the character has."""
        from ..generation import references as R

        commands: list[C.Command] = []
        ref_ids: list[str] = []
        for item in references or []:
            entry = R.find_reference(project, item)
            if entry is not None:
                ref_ids.append(str(entry["id"]))
                continue
            path = Path(item).expanduser()
            if not path.is_file():
                raise VoiceInputError(f"'{item}' is neither a reference id of this project nor "
                                      "an image file.")
            known = R.reference_id_for(project, path, kind="character")
            if known:
                ref_ids.append(known)
                continue
            add = R.add_reference(project, path, "character", character_name)
            commands.append(add)
            ref_ids.append(str(add.entry["id"]))
        existing = find_character(project, character_name)
        if existing is None:
            character = new_character(character_name, description or "", ref_ids, voice, tts)
        else:
            character = replace(
                existing, voice=voice if voice is not None else existing.voice,
                tts=tts if tts is not None else existing.tts,
                references=list(dict.fromkeys(existing.references + ref_ids)),
                description=description if description is not None else existing.description)
        text = (f"Assign Voice to '{character.name}'" if voice is not None
                else f"Change Character '{character.name}'")
        command = set_character_command(project, character, text)
        return C.Macro(text, [*commands, command]) if commands else command

    # --- dialogue ---------------------------------------------------------------------

    def _default_voice(self, name: str, taken: set[str],
                       account: list[VoiceProfile] | None = None) -> VoiceProfile:
        """A voice for a character without one, distinct from ``taken`` voice ids
        (``account``: the ElevenLabs account's voices when already listed)."""
        base = VoiceProfile(name, f"Default voice of {name}", "neutral")
        if self.provider_name == "local":
            from .providers.local import distinct_voice_ids

            genders = ("male", "female", "neutral")
            index = len(taken)
            for step in range(len(genders)):
                profile = replace(base, gender=genders[(index + step) % len(genders)])
                ids = distinct_voice_ids(profile, taken, 1)
                if ids:
                    return replace(profile, provider="local", voice_id=ids[0])
            raise VoiceInputError("No free offline voice is left for a new character.")
        for voice in self.provider.list_voices() if account is None else account:
            if voice.voice_id not in taken:
                return replace(voice, name=name, provider="elevenlabs")
        raise VoiceInputError("Every voice of the ElevenLabs account is already used in this "
                              "scene; design one in Voice > Character Voices.")

    def plan_script(self, project: Project, scene: otio.schema.Timeline,
                    lines: list[ScriptLine],
                    overrides: list[dict[str, Any] | None] | None = None
                    ) -> tuple[list[LinePlan], list[Character]]:
        """Each line with its character and settings; characters without a voice (or with a
        voice of another provider) get a default voice distinct from every voice of the
        project's characters (so also of this ``scene``'s), returned as new ones."""
        if not lines:
            raise VoiceInputError("The script has no lines.")
        known = {c.name.lower(): c for c in characters(project)}
        taken = {c.voice.voice_id for c in known.values() if c.voice is not None}
        created: dict[str, Character] = {}
        plans = []
        account: list[VoiceProfile] = []  # listed once per script (a slow call on ElevenLabs)
        for i, line in enumerate(lines):
            key = line.character.strip().lower()
            character = created.get(key) or known.get(key)
            if character is None or character.voice is None or \
                    character.voice.provider != self.provider_name:
                if self.provider_name != "local" and not account:
                    account = self.provider.list_voices()
                voice = self._default_voice(line.character, taken,
                                            None if self.provider_name == "local" else account)
                taken.add(voice.voice_id)
                character = (replace(character, voice=voice) if character is not None
                             else new_character(line.character, voice=voice))
                created[key] = character
            override = {**line.settings,
                        **((overrides[i] if overrides and i < len(overrides) else None) or {})}
            plans.append(LinePlan(line, character, character.tts.override(override)))
        return plans, list(created.values())

    def _speech_payload(self, plan: LinePlan, previous: str = "", nxt: str = "") -> VoicePayload:
        request = SpeechRequest(plan.line.text, plan.character.voice, plan.settings,
                                plan.line.emotion, previous, nxt)
        return VoicePayload("speech", self.provider_name, request.to_dict(),
                            f"{plan.character.name}: {plan.line.text}"[:80])

    def submit_script(self, project: Project, project_path: str | Path,
                      scene: otio.schema.Timeline, lines: list[ScriptLine], *,
                      start: float = 0.0, gap: float = 0.3,
                      overrides: list[dict[str, Any] | None] | None = None) -> DialogueBatch:
        """Queue one voice job per line; the batch says where they land."""
        queue = self._queue()
        plans, created = self.plan_script(project, scene, lines, overrides)
        self._check_hourly_room(self._new_jobs(plans))
        if self._as_dialogue(plans):  # one text_to_dialogue request for the whole scene
            request = DialogueRequest([SpeechRequest(p.line.text, p.character.voice,
                                                     p.settings, p.line.emotion)
                                       for p in plans])
            payload = VoicePayload("dialogue", self.provider_name, request.to_dict(),
                                   f"Dialogue: {len(plans)} lines, "
                                   f"{len({p.character.name for p in plans})} speakers")
            job_id = queue.submit(payload, project_path).id
            for i, plan in enumerate(plans):
                plan.job_id, plan.line_index = job_id, i
        for i, plan in enumerate(plans):
            if plan.job_id:
                continue
            previous = plans[i - 1].line.text if i > 0 else ""
            nxt = plans[i + 1].line.text if i + 1 < len(plans) else ""
            plan.job_id = queue.submit(self._speech_payload(plan, previous, nxt),
                                       project_path).id
        return DialogueBatch(scene.name, plans, start, gap, created, self.provider_name,
                             str(Path(project_path).absolute()))

    def _new_jobs(self, plans: list[LinePlan]) -> int:
        """How many jobs the script starts (identical earlier requests are reused)."""
        store = self._queue().store
        if self._as_dialogue(plans):
            request = DialogueRequest([SpeechRequest(p.line.text, p.character.voice,
                                                     p.settings, p.line.emotion)
                                       for p in plans])
            return 0 if store.find_cached(request.cache_key(self.provider_name)) else 1
        n = 0
        for i, plan in enumerate(plans):
            payload = self._speech_payload(
                plan, plans[i - 1].line.text if i > 0 else "",
                plans[i + 1].line.text if i + 1 < len(plans) else "")
            n += store.find_cached(payload.cache_key()) is None
        return n

    def _check_hourly_room(self, jobs: int) -> None:
        """Refuse a script the hourly limit cannot take whole, before any line is queued
        (the queue would refuse the line that crosses it, leaving half a scene)."""
        from aladdin_studio.jobs.store import LimitExceeded

        limit = int(self.settings.max_generations_per_hour)
        used = self._queue().store.count_started_since(time.time() - 3600, "voice")
        if used + jobs > limit:
            raise LimitExceeded(
                f"Voice line limit reached: this script needs {jobs} new line(s), and "
                f"{max(0, limit - used)} of the {limit} per hour are left (setting "
                "max_generations_per_hour). Lines already made are reused for free.")

    def _as_dialogue(self, plans: list[LinePlan]) -> bool:
        """ElevenLabs speaks a multi-speaker scene in one request when every line uses a
        model that offers text_to_dialogue (eleven_v3) with the same seed."""
        from .jobs import DIALOGUE_MODELS

        return (self.provider_name == "elevenlabs" and len(plans) > 1
                and len({p.character.name for p in plans}) > 1
                and all(p.settings.model in DIALOGUE_MODELS for p in plans)
                and len({p.settings.seed for p in plans}) == 1)

    def _queue(self) -> JobQueue:
        if self.queue is None:
            raise VoiceInputError("No job queue is running.")
        return self.queue

    def jobs(self, job_ids: list[str], project: str | Path | None = None) -> list[Job]:
        """The jobs in ``job_ids`` order (one ledger query when their project is known)."""
        store = self._queue().store
        if project:
            found = {j.id: j for j in store.list(str(project), limit=100_000, kind="voice")}
            if all(j in found for j in job_ids):
                return [found[j] for j in job_ids]
        return [store.get(j) for j in job_ids]

    def wait(self, job_ids: list[str], timeout: float = 600.0,
             on_progress: Callable[[list[Job]], None] | None = None) -> list[Job]:
        """Poll the ledger until every job is done (a consumer must be running)."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.jobs(job_ids)
            if on_progress is not None:
                on_progress(jobs)
            if all(j.done for j in jobs):
                return jobs
            if time.monotonic() > deadline:
                raise VoiceInputError(f"Voice jobs still running after {timeout:.0f} s.")
            time.sleep(0.05)

    @staticmethod
    def failures(jobs: list[Job]) -> list[str]:
        unique = {j.id: j for j in jobs}  # a multi-speaker job carries several lines
        return [f"{j.payload.get('label') or j.id[:8]}: {j.error_message or j.status}"
                for j in unique.values() if j.status != "succeeded"]

    def place_command(self, project: Project, batch: DialogueBatch,
                      scene: otio.schema.Timeline | None = None) -> C.Macro:
        """The finished batch on the dialogue track, with its new characters: one step."""
        jobs = self.jobs(batch.job_ids, batch.project)
        bad = self.failures(jobs)
        if bad:
            raise VoiceInputError(f"{len(bad)} line(s) failed: " + "; ".join(bad))
        scene = scene or project.scene(batch.scene)
        placed = [self._placed(plan.line, plan.character.name, plan.settings, job,
                               plan.line_index)
                  for plan, job in zip(batch.lines, jobs, strict=True)]
        extra = [set_character_command(project, c) for c in batch.new_characters]
        return _chain_characters(project, place_lines_command(
            project, scene, placed, start=batch.start, gap=batch.gap), extra)

    def record_usage(self, batch: DialogueBatch) -> None:
        """Count the placed lines on the saved voices they used (the library's usage)."""
        counts: dict[str, int] = {}
        for plan in batch.lines:
            if plan.character.voice is not None:
                vid = plan.character.voice.voice_id
                counts[vid] = counts.get(vid, 0) + 1
        for vid, n in counts.items():
            self.library.count_use(vid, n)

    @staticmethod
    def _placed(line: ScriptLine, character: str, settings: TTSSettings, job: Job,
                index: int = 0) -> PlacedLine:
        path, info = line_output(job, index)
        result = SpeechResult.from_dict({**info, "path": str(path)})
        if job.cached_from:
            result.cost, result.characters = 0.0, 0
        return PlacedLine(result, character, line.text, line.emotion, job.id, line.at,
                          settings.to_dict(), job.cached_from, info.get("media"))

    # --- regenerate a line ------------------------------------------------------------

    def regenerate(self, project: Project, project_path: str | Path, clip: otio.schema.Clip,
                   overrides: dict[str, Any] | None = None) -> str:
        """Queue a new take of a dialogue clip (skips the cache); returns the job id."""
        record = line_record(clip)
        if not record:
            raise VoiceInputError(f"Clip '{clip.name}' is not a generated dialogue line.")
        character = find_character(project, str(record.get("character", "")))
        if character is None or character.voice is None:
            raise VoiceInputError(f"Character '{record.get('character')}' has no voice.")
        settings = TTSSettings.from_dict(record.get("settings")).override(overrides)
        line = ScriptLine(character.name, str(record["text"]), str(record.get("emotion", "")))
        payload = self._speech_payload(LinePlan(line, character, settings))
        return self._queue().submit(payload, project_path, new_take=True).id

    def take_command(self, project: Project, clip: otio.schema.Clip, job_id: str) -> C.Macro:
        job = self._queue().store.get(job_id)
        record = line_record(clip)
        line = ScriptLine(str(record.get("character", "")), str(record.get("text", "")),
                          str(record.get("emotion", "")))
        settings = TTSSettings.from_dict(VoicePayload.from_dict(job.payload).request
                                         .get("settings"))
        return line_take_command(project, clip, self._placed(line, line.character, settings,
                                                             job))

    # --- sound effects ----------------------------------------------------------------

    def submit_sfx(self, project_path: str | Path, request: SoundRequest) -> str:
        request = replace(request, prompt=clean_text(request.prompt, 450,
                                                     "sound-effect prompt"))
        payload = VoicePayload("sfx", self.provider_name, request.to_dict(),
                               f"SFX: {request.prompt}"[:80])
        return self._queue().submit(payload, project_path).id

    def sfx_command(self, project: Project, scene: otio.schema.Timeline, job_id: str,
                    at: float) -> C.Macro:
        job = self._queue().store.get(job_id)
        path, info = output(job)
        result = SpeechResult.from_dict({**info, "path": str(path)})
        request = SoundRequest.from_dict(job.payload["request"])
        line = PlacedLine(result, "", request.prompt, job_id=job.id,
                          settings={"duration": request.duration,
                                    "prompt_influence": request.prompt_influence,
                                    "loop": request.loop}, media=info.get("media"))
        return place_sfx_command(project, scene, line, at, request.prompt)


def _chain_characters(project: Project, macro: C.Macro, extra: list[C.Command]) -> C.Macro:
    """Put the character commands first in the same undo step (each sees the previous)."""
    if not extra:
        return macro
    merged = _CharacterList(project, extra)
    macro.commands.insert(0, merged)
    return macro


class _CharacterList(C.Command):
    """Several characters added in one step (each SetProjectMeta was built from the library
    as it was, so they are re-derived here)."""

    text = "Add Characters"

    def __init__(self, project: Project, commands: list[C.Command]) -> None:
        super().__init__()
        self.values = [cmd.value for cmd in commands]  # type: ignore[attr-defined]

    def build(self, project: Project, tx: Any) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for entries in self.values:
            for entry in entries:
                merged[entry["id"]] = entry
        current = [c.to_dict() for c in characters(project)]
        by_id = {e["id"]: e for e in current}
        by_id.update(merged)
        tx.set_meta(project.collection, "characters", list(by_id.values()))
        tx.topics.add("characters")


def scene_named(project: Project, name: str | None) -> otio.schema.Timeline:
    if not project.scenes:
        raise VoiceInputError("The project has no scene.")
    if name is None:
        return project.scenes[0]
    for scene in project.scenes:
        if scene.name == name:
            return scene
    raise VoiceInputError(f"No scene named '{name}'; scenes: "
                          f"{', '.join(s.name for s in project.scenes)}.")
