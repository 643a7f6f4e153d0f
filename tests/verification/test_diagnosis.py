"""Each import failure gets the fix its error points to (the error lines are Python's own wording)."""

from __future__ import annotations

from depmin.verification import classify


def test_a_dependency_the_lock_lacks_points_at_the_extra() -> None:
    failure = classify(
        "sqlalchemy.ext.asyncio",
        "ModuleNotFoundError: No module named 'greenlet'",
        {"sqlalchemy.ext.asyncio": "ModuleNotFoundError: No module named 'greenlet'"},
        agent="Store",
        family="cpu",
    )
    assert failure.fix.startswith("sqlalchemy.ext.asyncio needs greenlet, which the lock does not install")
    assert "agents.Store.extra_requirements" in failure.fix


def test_a_submodule_absent_from_the_locked_release() -> None:
    error = "ModuleNotFoundError: No module named 'plugp100.new'"
    outcomes = {"plugp100": None, "plugp100.new.device": error}
    failure = classify("plugp100.new.device", error, outcomes, agent="Plug", family="cpu")
    assert failure.fix.startswith("plugp100 imports but the locked release has no plugp100.new: pin a release")


def test_a_missing_top_level_is_a_wrong_mapping() -> None:
    error = "ModuleNotFoundError: No module named 'cv2'"
    failure = classify("cv2", error, {"cv2": error}, agent="Cam", family="vision")
    assert '[mapping] cv2 = "<distribution>"' in failure.fix


def test_a_missing_shared_library_names_the_family_apt_key() -> None:
    error = "OSError: libportaudio.so.2: cannot open shared object file: No such file or directory"
    failure = classify("sounddevice", error, {"sounddevice": error}, agent="Mic", family="cpu-audio")
    assert "libportaudio.so.2" in failure.fix and "families.cpu-audio.apt" in failure.fix


def test_a_library_found_with_ctypes_is_a_missing_shared_library_too() -> None:
    # sounddevice's own message when ctypes.util.find_library("portaudio") finds nothing
    error = "OSError: PortAudio library not found"
    failure = classify("sounddevice", error, {"sounddevice": error}, agent="TTS", family="cpu")
    assert failure.fix.startswith("the shared library PortAudio is missing where the check ran")
    assert "families.cpu.apt" in failure.fix
