"""Placeholders in the content ({{ themes }}, {{ etablissement.<key> }}) and the content rules of
`pixbot check` held to the glossary (glossary/): field status, Pix interface labels, points to
verify. Each rule has a text it must flag and a text it must let through."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core import strings
from bot.core.config import load_config
from bot.answers.content_rules import content_rule_problems, field_status_claims, ui_labels, uncaveated_points
from bot.answers.glossary import load_glossary
from bot.answers.hygiene import check_content, local_notices
from bot.answers.placeholders import Placeholders
from bot.answers.sources import Item, load_sources

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "glossary"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_with(tmp_path: Path, text: str):
    return load_config(write(tmp_path / "config.yaml", text))


LOCAL = ("# filled in by the correspondent\n"
         "correspondant: Mme Exemple, service du numérique\n"
         "demande_session:\n"
         "delai: |\n  six semaines\n  au moins\n")


# -- placeholders --------------------------------------------------------------------------------------

def test_themes_render_from_the_config_and_honestly_when_there_are_none(tmp_path):
    write(tmp_path / "faq" / "bot.yaml", "- id: themes\n  question: Quels thèmes ?\n  variants: [Thèmes ?]\n"
                                         "  answer: |\n    Thèmes : {{ themes }}.\n")
    config = config_with(tmp_path, "news:\n  topics:\n    certif: [certification]\n    pix+: []\n"
                                   "    enseignement supérieur: [sup]\n")
    result = load_sources(tmp_path / "faq", None, placeholders=Placeholders.from_config(config))
    assert result.errors == []
    assert result.items[0].body == "Thèmes : `certif`, `pix+` et `enseignement supérieur`."
    bare = load_sources(tmp_path / "faq", None, placeholders=Placeholders.from_config(config_with(tmp_path, "{}\n")))
    assert bare.items[0].body == "Thèmes : aucun thème n'est configuré pour le moment."


def test_a_config_change_changes_the_hashes_the_index_compares(tmp_path):
    write(tmp_path / "faq" / "bot.yaml", "- id: themes\n  question: Quels thèmes ?\n  answer: '{{ themes }}'\n")
    one = load_sources(tmp_path / "faq", None, placeholders=Placeholders.build(["certif"]))
    two = load_sources(tmp_path / "faq", None, placeholders=Placeholders.build(["certif", "orga"]))
    assert one.items[0].content_hash() != two.items[0].content_hash()  # the entry is re-embedded...
    assert one.files != two.files  # ...and the index is seen as stale although no file changed
    again = load_sources(tmp_path / "faq", None, placeholders=Placeholders.build(["certif"]))
    assert again.files == one.files and again.items[0].content_hash() == one.items[0].content_hash()


def test_unknown_placeholder_is_an_error_with_file_entry_and_line(tmp_path):
    write(tmp_path / "faq" / "a.yaml",
          "- id: first\n  question: Q ?\n  answer: R.\n"
          "- id: second\n  question: Q2 ?\n  answer: |\n    Ligne un.\n\n    Voir {{ etablissement.nom }} et {{ themse }}.\n")
    write(tmp_path / "docs" / "page.md", "---\ntitle: Page\n---\nIntro.\n\n## Section\nUn.\nDeux {{ inconnu }}.\n")
    write(tmp_path / "local.yaml", "nom: Université Exemple\n")
    placeholders = Placeholders.build(["certif"], tmp_path / "local.yaml", "local.yaml")
    result = load_sources(tmp_path / "faq", tmp_path / "docs", placeholders=placeholders)
    assert [(e.file, e.entry, e.line) for e in result.errors] == [("a.yaml", "#2 (second)", 9), ("page.md", None, 8)]
    assert "« {{ themse }} »" in str(result.errors[0]) and "etablissement.nom" in str(result.errors[0])
    assert str(result.errors[0]).startswith("a.yaml, ligne 9, entrée #2 (second) : repère inconnu")
    assert [i.id for i in result.items] == ["first", "page.md#introduction"]  # the broken ones are not indexed


def test_without_placeholders_every_placeholder_is_an_error(tmp_path):
    write(tmp_path / "faq" / "a.yaml", "- id: a\n  question: Q ?\n  answer: 'Voir {{ themes }}'\n")
    result = load_sources(tmp_path / "faq", None)
    assert len(result.errors) == 1 and result.errors[0].line == 3 and "aucun" in result.errors[0].message


def test_placeholder_in_a_heading_is_an_error(tmp_path):
    write(tmp_path / "docs" / "p.md", "## Thèmes {{ themes }}\nTexte.\n")
    result = load_sources(None, tmp_path / "docs", placeholders=Placeholders.build([]))
    assert [(e.file, e.line) for e in result.errors] == [("p.md", 1)]


def test_local_values_render_and_unset_ones_say_so_and_are_listed(tmp_path):
    write(tmp_path / "faq" / "u.yaml",
          "- id: u\n  question: Qui ?\n  variants: [Qui donc ?]\n  answer: |\n"
          "    **Correspondant :** {{ etablissement.correspondant }}\n\n"
          "    **Demande :** {{etablissement.demande_session}}\n\n"
          "    **Délai :** {{ etablissement.delai }}\n")
    write(tmp_path / "local" / "etablissement.yaml", LOCAL)
    config = config_with(tmp_path, "sources:\n  faq_dir: faq\n  docs_dir: ''\n  training_dir: ''\n")
    placeholders = Placeholders.from_config(config)
    result = load_sources(config.faq_dir, None, placeholders=placeholders)
    assert result.errors == []
    body = result.items[0].body
    assert "**Correspondant :** Mme Exemple, service du numérique" in body
    assert f"**Demande :** {strings.PLACEHOLDER_UNSET}" in body
    assert "six semaines\nau moins" in body
    assert local_notices(placeholders) == [strings.CHECK_UNSET_LOCAL.format(
        file="local/etablissement.yaml", line=3, key="demande_session")]
    # `pixbot check` shows them as things to fill in, not as problems
    assert check_content(config.faq_dir, None, None, placeholders, None) == []


def test_a_missing_local_file_renders_every_local_value_as_unset(tmp_path):
    write(tmp_path / "faq" / "u.yaml", "- id: u\n  question: Qui ?\n  answer: '{{ etablissement.correspondant }}'\n")
    config = config_with(tmp_path, "sources:\n  local_file: nulle-part.yaml\n")
    placeholders = Placeholders.from_config(config)
    result = load_sources(tmp_path / "faq", None, placeholders=placeholders)
    assert result.errors == [] and result.items[0].body == strings.PLACEHOLDER_UNSET
    assert local_notices(placeholders) == [strings.CHECK_LOCAL_MISSING.format(file="nulle-part.yaml")]


@pytest.mark.parametrize("local, line, expected", [
    ("correspondant: [une, liste]\n", 1, "texte"),
    ("correspondant: Mme X\nMauvaise Clé: y\n", 2, "Mauvaise Clé"),
    ("correspondant: 'non fermé\n", None, "YAML invalide"),
])
def test_a_broken_local_file_is_a_load_error_naming_it(tmp_path, local, line, expected):
    write(tmp_path / "etab.yaml", local)
    placeholders = Placeholders.build([], tmp_path / "etab.yaml", "etab.yaml")
    result = load_sources(None, None, placeholders=placeholders)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.file == "etab.yaml" and expected in error.message
    if line is not None:
        assert error.line == line


def test_the_shipped_local_file_has_no_invented_value_and_the_shipped_content_renders():
    data = yaml.safe_load((ROOT / "local" / "etablissement.yaml").read_text(encoding="utf-8"))
    assert data and all(value is None for value in data.values())  # placeholders only, never a guess
    config = load_config(ROOT / "config.example.yaml")
    placeholders = Placeholders.from_config(config)
    result = load_sources(config.faq_dir, config.docs_dir, config.training_dir, placeholders)
    assert result.errors == []
    by_id = {item.id: item for item in result.items}
    assert "`certif`, `orga`, `pix+` et `enseignement supérieur`" in by_id["bot-abonner-actualites"].body
    for item in result.items:  # nothing left unrendered, no theme the bot does not have
        assert "{{" not in item.body, item.id
        if item.id.startswith("bot-") or item.origin.startswith("bot/"):
            assert "`général`" not in item.body and "**général**" not in item.body and " général." not in item.body
    assert strings.PLACEHOLDER_UNSET in by_id["univ-correspondant-pix"].body
    assert {f"etablissement.{key}" for key in data} <= placeholders.used  # every value is quoted somewhere


# -- rule 1: field status --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def glossary():
    loaded = load_glossary(GLOSSARY)
    assert loaded is not None and loaded.problems == []
    return loaded


def claims(text, glossary):
    return {(f.name, status) for f, status, _ in field_status_claims(text, glossary.fields)}


def faq_item(body: str, item_id: str = "e") -> Item:
    return Item(id=item_id, kind="faq", title="Q ?", body=body, phrasings=("Q ?", "Q2 ?"), origin="f.yaml", line=4)


@pytest.mark.parametrize("text", [
    "**Obligatoires** : nom de naissance, prénom.\n\n**Facultatifs** :\n- identifiant externe ;\n- tarification.",
    "Des champs facultatifs permettent d'ajouter un identifiant externe, un temps majoré et la tarification.",
    "Vous pouvez aussi renseigner les informations facultatives : identifiant externe, e-mail de convocation, "
    "temps majoré et tarification.",
    "Les champs facultatifs : identifiant externe, e-mails, tarification",
])
def test_rule_field_status_flags_a_mandatory_field_said_optional(glossary, text):
    problems = content_rule_problems([faq_item(text)], glossary)
    assert len(problems) == 1
    message = str(problems[0])
    assert message.startswith("f.yaml, ligne 4, entrée e : « Tarification part Pix » est dit facultatif")
    assert "glossary/glossaire.yaml" in message and "obligatoire" in message


def test_rule_field_status_reads_negations_and_the_reverse_case(glossary):
    assert claims("La date de naissance n'est pas obligatoire.", glossary) == {("date de naissance", "optional")}
    assert claims("Le temps majoré est obligatoire.", glossary) == {("temps majoré", "mandatory")}
    assert len(content_rule_problems([faq_item("L'identifiant externe est indispensable.")], glossary)) == 1


@pytest.mark.parametrize("text", [
    "**Obligatoires** : nom de naissance, prénom, sexe, date de naissance et lieu de naissance.\n\n"
    "**Obligatoire aussi pour une université** : la **tarification** (« Tarification part Pix »).\n\n"
    "**Facultatifs** :\n- identifiant externe ;\n- e-mail de convocation ;\n- temps majoré.\n\nL'adresse e-mail n'est donc pas obligatoire.",
    "Ne collectez que les informations demandées (identité, date et lieu de naissance, champs facultatifs utiles).",
    "Le temps majoré est un champ facultatif de l'inscription.",
    "Nom de naissance, prénom, sexe, date et lieu de naissance (obligatoires), puis les champs facultatifs utiles.",
    "En plus des informations obligatoires, la fiche propose des champs facultatifs :\n\n- identifiant externe ;\n"
    "- temps majoré.\n\nLa tarification est aussi à remplir.",
])
def test_rule_field_status_lets_consistent_text_through(glossary, text):
    assert content_rule_problems([faq_item(text)], glossary) == []


# -- rule 2: Pix interface labels ------------------------------------------------------------------------

@pytest.mark.parametrize("text, wrong", [
    ("Cliquez sur « Valider la session ».", "Valider la session"),
    ("Ouvrez le menu « Etudiants » de Pix Orga.", "Etudiants"),  # accents count
    ("Les onglets « Activité », « Synthèse » et « Analyse ».", "Synthèse"),
    ("Le surveillant utilise l'action « Confirmer la présence du candidat ».", "Confirmer la présence du candidat"),
])
def test_rule_labels_flags_a_name_not_in_the_list(glossary, text, wrong):
    problems = content_rule_problems([faq_item(text)], glossary)
    assert len(problems) == 1 and f"libellé « {wrong} »" in str(problems[0])
    assert "glossary/libelles-pix.yaml" in str(problems[0])


def test_rule_labels_lets_listed_names_and_other_quotes_through(glossary):
    text = ("Cliquez sur le bouton « **J’ai un code** », puis sur « Commencer mon test ». Dans le menu "
            "« Étudiants », choisissez « Ajouter / modifier ». La session a le statut « Créée » et le candidat "
            "voit « Test terminé ! ». Les onglets « Activité », « Résultats » et « Analyse ».")
    assert ui_labels("cliquez sur « A », « B » ou « C »") == [("cliquez sur", "A"), ("cliquez sur", "B"),
                                                               ("cliquez sur", "C")]
    assert content_rule_problems([faq_item(text)], glossary) == []


# -- rule 3: points to verify ------------------------------------------------------------------------

UNCAVEATED = [
    "Dans la version d'avril 2025, Pix et Pix+ se passent dans des sessions distinctes.",
    # a caveat about something else does not cover it
    "Notez que Pix et Pix+ se passent dans des sessions distinctes.\n\n"
    "Si un candidat vise plusieurs certifications complémentaires, renseignez-vous sur l'organisation possible.",
    "Dans Pix Orga, seuls le propriétaire et les administrateurs peuvent supprimer une campagne.",
    "La certification Pix est valable 3 ans.",
]


@pytest.mark.parametrize("text", UNCAVEATED)
def test_rule_points_to_verify_flags_a_mention_without_caveat(glossary, text):
    problems = content_rule_problems([faq_item(text)], glossary)
    assert len(problems) == 1 and "point à vérifier" in str(problems[0]) and "sans réserve" in str(problems[0])


@pytest.mark.parametrize("text", [
    "Pix et Pix+ se passent dans des sessions distinctes ; ce point reste à vérifier.",
    "Oui : Pix et Pix+ se passent dans des sessions séparées.\n\nCes règles évoluent : en cas de doute, "
    "interrogez certif@pix.fr.",
    "Pix et Pix+ se passent dans des sessions distinctes.\n\nLes règles entre Pix et Pix+ ont évolué : "
    "confirmez-les auprès de certif@pix.fr.",
    "Selon nos informations, déduites du code, les tranches seraient :\n\n- 64 à 127 : Novice 1 ;\n"
    "- 128 à 255 : Novice 2.",
    "Le destinataire des résultats reçoit un lien valable 30 jours après la certification.",
])
def test_rule_points_to_verify_lets_caveated_or_unrelated_text_through(glossary, text):
    assert uncaveated_points(text, glossary) == []
    assert content_rule_problems([faq_item(text)], glossary) == []


def test_rule_points_to_verify_reads_no_heading(glossary):
    passage = Item(id="p.md#s", kind="doc", title="Page › Combien de temps un certificat Pix est-il valable ?",
                   body="Nos sources se contredisent sur la durée de validité du certificat.", phrasings=("Page",),
                   origin="p.md", line=3)
    assert content_rule_problems([passage], glossary) == []


# -- the glossary files and pixbot check ---------------------------------------------------------------

def test_every_glossary_fact_and_label_is_sourced():
    for name, key in (("glossaire.yaml", "fields"), ("glossaire.yaml", "to_verify"), ("libelles-pix.yaml", "labels")):
        entries = yaml.safe_load((GLOSSARY / name).read_text(encoding="utf-8"))[key]
        assert entries and all("pix-domain.md" in str(entry.get("source", "")) for entry in entries), (name, key)


def test_check_runs_the_rules_with_file_entry_and_line(tmp_path):
    write(tmp_path / "faq" / "a.yaml",
          "- id: ok\n  question: Q ?\n  variants: [Q2 ?]\n  answer: Cliquez sur « Créer une session ».\n"
          "- id: bad\n  question: Q3 ?\n  variants: [Q4 ?]\n  answer: Cliquez sur « Valider ».\n")
    problems = check_content(tmp_path / "faq", None, None, Placeholders.build([]), GLOSSARY)
    assert len(problems) == 1 and problems[0].startswith("a.yaml, ligne 5, entrée bad : libellé « Valider »")
    write(tmp_path / "g" / "glossaire.yaml", "fields: [{name: x}]\n")
    problems = check_content(tmp_path / "faq", None, None, Placeholders.build([]), tmp_path / "g")
    assert problems == ["glossaire.yaml : glossaire : " + strings.GLOSSARY_BAD_FIELD.format(index=1)]


def test_pixbot_check_lists_values_to_fill_in_without_failing():
    run = subprocess.run([sys.executable, "-m", "bot.cli", "check"], cwd=ROOT, text=True, capture_output=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert strings.CHECK_CLEAN in run.stdout
    assert "À compléter : local/etablissement.yaml, ligne" in run.stdout and "« correspondant »" in run.stdout
