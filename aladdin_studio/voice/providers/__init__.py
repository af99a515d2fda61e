"""Voice providers with one output contract (``base.SpeechResult``): ElevenLabs through the
real SDK, and the offline espeak-ng provider (the default without ``ELEVENLABS_API_KEY``)."""

from .base import PROVIDERS, Preview, SoundRequest, SpeechRequest, SpeechResult, VoiceProvider
from .factory import get_provider, provider_name

__all__ = ["PROVIDERS", "Preview", "SoundRequest", "SpeechRequest", "SpeechResult",
           "VoiceProvider", "get_provider", "provider_name"]
