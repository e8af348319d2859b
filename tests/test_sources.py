from pathlib import Path

import pytest

from bot.answers.sources import load_sources, split_words

FIXTURES = Path(__file__).parent / "fixtures"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fixture_sources_load_with_all_fields():
    result = load_sources(FIXTURES / "faq", FIXTURES / "docs")
    assert result.errors == []
    by_id = {i.id: i for i in result.items}
    invite = by_id["orga-invite"]
    assert invite.kind == "faq"
    assert invite.phrasings[0] == "Comment inviter un collègue dans Pix Orga ?"
    assert len(invite.phrasings) == 3
    assert invite.topics == ("orga",)
    assert invite.source == "https://orga.pix.fr/"
    assert invite.line == 2
    passage = by_id["guides/surveillance.md#un-candidat-a-ferme-sa-fenetre"]
    assert passage.kind == "doc"
    assert passage.title == "Guide du surveillant › Un candidat a fermé sa fenêtre"
    assert "reprendre" in passage.body
    assert passage.source == "https://certif.pix.fr/"
    assert "guides/surveillance.md#introduction" in by_id


def test_unknown_key_is_a_warning_not_a_failure(tmp_path):
    write(tmp_path / "faq" / "a.yaml", "- id: a\n  question: Q ?\n  answer: R.\n  colour: blue\n")
    result = load_sources(tmp_path / "faq", None)
    assert result.errors == []
    assert len(result.items) == 1
    assert any("colour" in str(w) for w in result.warnings)


@pytest.mark.parametrize(
    "content, expected",
    [
        ("- id: a\n  question: Q ?\n  answer: ''\n", "answer"),
        ("- id: a\n  answer: R.\n", "question"),
        ("- id: A_B\n  question: Q ?\n  answer: R.\n", "A_B"),
        ("- id: a\n  question: Q ?\n  answer: R.\n  variants: 12\n", "variants"),
        ("- id: a\n  question: Q ?\n  answer: R.\n  source: pas une url\n", "pas une url"),
        ("- just a string\n", "#1"),
        ("id: a\nquestion: Q\n", "liste"),
    ],
)
def test_bad_entries_name_file_entry_and_field(tmp_path, content, expected):
    write(tmp_path / "faq" / "bad.yaml", content)
    result = load_sources(tmp_path / "faq", None)
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert message.startswith("bad.yaml")
    assert expected in message
    assert result.items == []


def test_malformed_yaml_reports_the_line(tmp_path):
    write(tmp_path / "faq" / "broken.yaml", "- id: a\n  question: Q ?\n  answer: [unclosed\n- id: b\n")
    result = load_sources(tmp_path / "faq", None)
    assert len(result.errors) == 1
    assert "broken.yaml, ligne" in str(result.errors[0])
    assert result.errors[0].line is not None


def test_duplicate_id_across_files_names_both_files(tmp_path):
    write(tmp_path / "faq" / "a.yaml", "- id: same\n  question: Q1 ?\n  answer: R1.\n")
    write(tmp_path / "faq" / "b.yaml", "- id: other\n  question: Q0 ?\n  answer: R0.\n"
                                       "- id: same\n  question: Q2 ?\n  answer: R2.\n")
    result = load_sources(tmp_path / "faq", None)
    assert len(result.errors) == 1
    err = result.errors[0]
    assert err.file == "b.yaml" and err.line == 4 and "same" in err.entry and "a.yaml" in err.message


def test_docs_split_at_headings_with_unique_slugs_and_long_sections_chunked(tmp_path):
    long_text = " ".join(f"mot{i}" for i in range(500))
    write(tmp_path / "docs" / "guide.md",
          "---\ntitle: Mon guide\ntopics: [certif]\n---\nIntro.\n\n## Étape\nA.\n\n## Étape\nB.\n\n"
          f"## Longue section\n{long_text}\n")
    result = load_sources(None, tmp_path / "docs")
    ids = [i.id for i in result.items]
    assert ids[:3] == ["guide.md#introduction", "guide.md#etape", "guide.md#etape-1"]
    chunks = [i for i in result.items if i.id == "guide.md#longue-section"]
    assert len(chunks) == 3  # 500 words, 220 per chunk with 40 shared
    assert chunks[0].body.split()[-40:] == chunks[1].body.split()[:40]
    assert all(i.title.startswith("Mon guide") for i in result.items)


def test_doc_without_front_matter_takes_its_h1_as_title(tmp_path):
    write(tmp_path / "docs" / "sub" / "page.md", "# Titre H1\n\n## Section\nTexte.\n")
    result = load_sources(None, tmp_path / "docs")
    assert [i.title for i in result.items] == ["Titre H1 › Section"]
    assert result.items[0].id == "sub/page.md#section"


def test_bad_front_matter_is_an_error(tmp_path):
    write(tmp_path / "docs" / "p.md", "---\ntitle: [oops\n---\n## S\nT\n")
    result = load_sources(None, tmp_path / "docs")
    assert len(result.errors) == 1 and "p.md" in str(result.errors[0])


def test_split_words_keeps_short_text_whole():
    assert split_words("a b c", 10, 2) == ["a b c"]


def test_example_questions_attach_to_their_entry_or_passage(tmp_path):
    write(tmp_path / "examples" / "chat.yaml",
          "- question: comment je fais entrer un collegue sur orga\n  expected: orga-invite\n"
          "- question: Comment inviter un collègue dans Pix Orga ?\n  expected: orga-invite\n"  # = the question
          "- question: il a fermé sa fenêtre le pauvre\n  expected: guides/surveillance.md\n"  # a page: 1st passage
          "- question: la cantine est ouverte ?\n  expected: null\n")
    result = load_sources(FIXTURES / "faq", FIXTURES / "docs", tmp_path / "examples")
    assert result.errors == [] and result.warnings == []
    by_id = {i.id: i for i in result.items}
    assert by_id["orga-invite"].examples == ("comment je fais entrer un collegue sur orga",)
    page = [i for i in result.items if i.id.startswith("guides/surveillance.md#")]
    assert page[0].examples == ("il a fermé sa fenêtre le pauvre",)
    assert all(p.examples == () for p in page[1:])
    assert result.files["examples:chat.yaml"]  # an edit to the file makes the index stale
    assert by_id["orga-invite"].content_hash() != load_sources(FIXTURES / "faq", None).items[0].content_hash()


def test_example_for_a_removed_entry_is_a_warning_and_a_broken_example_an_error(tmp_path):
    write(tmp_path / "examples" / "old.yaml", "- question: ancienne\n  expected: gone-entry\n")
    result = load_sources(FIXTURES / "faq", None, tmp_path / "examples")
    assert result.errors == []
    assert [str(w) for w in result.warnings] == [
        "old.yaml, ligne 1, entrée #1 : identifiant inconnu « gone-entry » : question ignorée"]
    write(tmp_path / "examples" / "bad.yaml", "- question: sans réponse attendue\n- expected: orga-invite\n")
    result = load_sources(FIXTURES / "faq", None, tmp_path / "examples")
    assert [(e.file, e.entry, e.line) for e in result.errors] == [("bad.yaml", "#1", 1), ("bad.yaml", "#2", 2)]


def test_placeholders_render_in_every_phrasing_and_errors_point_at_their_line(tmp_path):
    from bot.answers.placeholders import Placeholders

    write(tmp_path / "faq" / "a.yaml",
          "- id: a\n  question: Thèmes {{ themes }} ?\n  variants:\n    - Autre question ?\n"
          "    - Et {{ theme }} ?\n  answer: 'Accolades simples {gardées}, {{ themes }}.'\n")
    result = load_sources(tmp_path / "faq", None, placeholders=Placeholders.build(["certif"]))
    assert [(e.entry, e.line) for e in result.errors] == [("#1 (a)", 5)]  # the variant's own line
    write(tmp_path / "faq" / "a.yaml",
          "- id: a\n  question: Thèmes {{ themes }} ?\n  variants: [Autre question ?]\n"
          "  answer: 'Accolades simples {gardées}, {{themes}}.'\n")
    result = load_sources(tmp_path / "faq", None, placeholders=Placeholders.build(["certif"]))
    assert result.errors == []
    item = result.items[0]
    assert item.title == "Thèmes `certif` ?" and item.phrasings[0] == item.title
    assert item.body == "Accolades simples {gardées}, `certif`."
    assert "placeholders" in result.files
