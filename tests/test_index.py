import pytest

from bot.answers.engine import Engine
from bot.answers.sources import SourceError

from pixbot_testing import make_config


def test_second_load_reuses_the_index_on_disk(sample_engine, embedder):
    config = sample_engine.config
    again = Engine(config, faq_dir=sample_engine.faq_dir, docs_dir=sample_engine.docs_dir, embedder=embedder)
    changes = again.load()
    assert not changes.rebuilt
    assert [i.id for i in again.index.items] == [i.id for i in sample_engine.index.items]


def test_editing_one_entry_reembeds_only_that_entry(sample_engine, sample_sources):
    faq, _ = sample_sources
    path = faq / "sample.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Le code de campagne (9 caractères)", "Le code de campagne, neuf caractères,"), encoding="utf-8")
    changes = sample_engine.reload()
    assert changes.rebuilt
    assert changes.changed == ["campaign-code"] and changes.added == [] and changes.removed == []
    assert changes.embedded == 1  # only the answer unit of that entry changed
    assert "neuf caractères" in sample_engine.item("campaign-code").body


def test_added_and_removed_entries_are_reported(sample_engine, sample_sources):
    faq, _ = sample_sources
    (faq / "extra.yaml").write_text("- id: new-one\n  question: Nouvelle question ?\n  answer: Réponse.\n",
                                    encoding="utf-8")
    (faq / "sample.yaml").write_text((faq / "sample.yaml").read_text(encoding="utf-8").split("- id: session-password")[0],
                                     encoding="utf-8")
    changes = sample_engine.reload()
    assert changes.added == ["new-one"]
    assert set(changes.removed) == {"session-password", "extra-time", "verify-certificate", "export-results"}
    assert sample_engine.item("new-one") is not None
    assert sample_engine.item("extra-time") is None


def test_broken_file_keeps_the_last_good_index_in_service_and_on_disk(sample_engine, sample_sources, embedder):
    faq, docs = sample_sources
    before = [i.id for i in sample_engine.index.items]
    (faq / "broken.yaml").write_text("- id: x\n  question: [unclosed\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        sample_engine.reload()
    assert "broken.yaml" in str(err.value)
    assert [i.id for i in sample_engine.index.items] == before
    assert sample_engine.ask("Comment inviter un collègue dans Pix Orga ?").best.id == "orga-invite"
    # a new process (bot restart) also finds the last good index on disk
    fresh = Engine(sample_engine.config, faq_dir=faq, docs_dir=docs, embedder=embedder)
    with pytest.raises(SourceError):
        fresh.load()
    assert [i.id for i in fresh.index.items] == before


def test_each_pair_of_folders_keeps_its_own_index(tmp_path, sample_sources, embedder):
    faq, docs = sample_sources
    config = make_config(tmp_path / "data", faq, docs)
    with_docs = Engine(config, embedder=embedder)
    with_docs.load()
    faq_only = Engine(config, docs_dir=tmp_path / "missing", embedder=embedder)
    faq_only.load()
    assert faq_only.index.doc_count == 0 and with_docs.index.doc_count > 0
    assert with_docs.store.root != faq_only.store.root
    assert not Engine(config, embedder=embedder).load().rebuilt


def test_embedding_cache_is_keyed_by_model_and_text(embedder, tmp_path):
    from bot.answers.embedding import Embedder

    vectors, fresh = embedder.encode(["une phrase de test pour le cache"])
    again, fresh_again = embedder.encode(["une phrase de test pour le cache"])
    assert fresh_again == 0 and (vectors == again).all()
    assert abs(float((vectors * vectors).sum()) - 1.0) < 1e-4  # normalised
    other = Embedder("minilm", cache_path=tmp_path / "other.sqlite")
    assert other.fingerprint == embedder.fingerprint


def test_example_questions_are_matched_and_an_edit_to_them_rebuilds(tmp_path, sample_sources, embedder):
    faq, docs = sample_sources
    config = make_config(tmp_path / "data", faq, docs)
    config.training_dir = tmp_path / "examples"
    config.training_dir.mkdir()
    question = "mon binôme du département n'arrive pas sur l'espace des profs, je lui envoie quoi"
    engine = Engine(config, embedder=embedder)
    engine.load()
    before = engine.ask(question).results
    (config.training_dir / "chat.yaml").write_text(f"- question: {question}\n  expected: orga-invite\n",
                                                   encoding="utf-8")
    changes = engine.reload()
    assert changes.rebuilt and changes.changed == ["orga-invite"] and changes.embedded == 1
    after = engine.ask(question)
    assert after.best.id == "orga-invite" and after.best.lexical == 1.0  # the example itself matched
    assert after.best.score > max(r.score for r in before if r.id == "orga-invite") + 0.2
    # with other folders than the configured ones, the examples (about those) are not used
    other = Engine(config, faq_dir=faq, docs_dir=tmp_path / "no-docs", embedder=embedder)
    other.load()
    assert other.index.item_by_id("orga-invite").examples == ()
