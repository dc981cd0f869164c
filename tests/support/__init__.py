"""What several test modules (and the benches) share: where things are, and facts about Zotero
that the tests state independently of refsync's own tables."""

import re
import signal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"

#: every Zotero item type that can be cited (schema.json minus annotation, attachment, note)
ZOTERO_TYPES = """artwork audioRecording bill blogPost book bookSection case computerProgram
    conferencePaper dataset dictionaryEntry document email encyclopediaArticle film forumPost
    hearing instantMessage interview journalArticle letter magazineArticle manuscript map
    newspaperArticle patent podcast preprint presentation radioBroadcast report standard statute
    thesis tvBroadcast videoRecording webpage""".split()


class Sleeps(list[float]):
    """Records waits instead of sleeping, so retry tests stay fast and can check each wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def before_entry_point(code: int, stderr: str) -> bool:
    """Whether a Ctrl-C ended the process before ``refsync.__main__.run`` began: by the signal
    before Python caught SIGINT (no output at all), or with Python's own traceback, which then has
    no frame in ``run``. refsync has read and written nothing by then."""
    if code == -signal.SIGINT and not stderr:
        return True
    return "Traceback" in stderr and not re.search(r'__main__\.py", line \d+, in run\b', stderr)
