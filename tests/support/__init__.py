"""What several test modules (and the benches) share: where things are, and facts about Zotero
that the tests state independently of refsync's own tables."""

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
