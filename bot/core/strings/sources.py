"""Loading and checking the content: the FAQ, the documentation, the local file, placeholders, the glossary.

Shown to the correspondent and to the people who edit the content (`pixbot index`, `pixbot check`,
the `recharger` command).
"""

from __future__ import annotations

# --- Source loading (shown to the correspondent by `pixbot index` and the `recharger` command) ---

SRC_NOT_UTF8 = "le fichier n'est pas encodé en UTF-8 (octet {pos})"
SRC_BAD_YAML = "YAML invalide : {problem}"
SRC_BAD_FRONT_MATTER = "en-tête YAML invalide : {problem}"
SRC_FRONT_MATTER_NOT_MAPPING = "l'en-tête YAML doit être une suite de clés (title, source, topics)"
SRC_EMPTY_FILE = "fichier vide, ignoré"
SRC_FAQ_NOT_LIST = "le fichier doit contenir une liste d'entrées (chaque entrée commence par « - id: »)"
SRC_ENTRY_NOT_MAPPING = "l'entrée doit être une suite de clés (id, question, answer…)"
SRC_UNKNOWN_KEY = "clé inconnue « {key} », ignorée"
SRC_MISSING_FIELD = "champ « {field} » manquant ou vide"
SRC_NOT_TEXT = "le champ « {field} » doit être un texte"
SRC_BAD_ID = "identifiant « {id} » invalide : lettres minuscules, chiffres et tirets seulement"
SRC_DUPLICATE_ID = "identifiant « {id} » déjà utilisé dans {other}"
SRC_NOT_A_LIST = "le champ « {what} » doit être une liste de textes"
SRC_BAD_URL = "source « {value} » : adresse web (http/https) ou mailto attendue"
SRC_BAD_ACTION = "action invalide : {value!r} (un nom en minuscules et tirets, par exemple demande-acces-orga)"
SRC_EXAMPLES_NOT_LIST = "le fichier doit contenir une liste de questions (chaque question commence par « - question: »)"
SRC_BAD_EXAMPLE = "une question d'exemple demande « question » (un texte) et « expected » (un identifiant, ou null)"
SRC_EXAMPLE_UNKNOWN_ID = "identifiant inconnu « {id} » : question ignorée"
SRC_UNKNOWN_PLACEHOLDER = ("repère inconnu « {{{{ {name} }}}} » (repères connus : {known} ; "
                           "les informations de l'établissement s'écrivent « {{{{ etablissement.<clé> }}}} »)")
SRC_PLACEHOLDER_IN_TITLE = "repère « {{ … }} » dans un titre : les repères ne sont remplacés que dans le texte"
# the institution's local file (sources.local_file), filled in by the Pix correspondent
LOCAL_NOT_MAPPING = "le fichier doit être une suite de clés « clé: texte » (voir les commentaires du fichier fourni)"
LOCAL_BAD_KEY = "clé « {key} » invalide : lettres minuscules, chiffres et « _ » seulement"
LOCAL_NOT_TEXT = "la valeur doit être un texte (ou rester vide tant qu'elle n'est pas connue)"
# How placeholders render (see bot/answers/placeholders.py)
PLACEHOLDER_UNSET = ("*information pas encore renseignée par le correspondant Pix* : "
                     "posez-lui la question avec la commande `correspondant`")


def placeholder_themes(names: list[str]) -> str:
    """The news themes of the config, as a French list (``{{ themes }}``)."""
    if not names:
        return "aucun thème n'est configuré pour le moment"
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " et " + quoted[-1]


# `pixbot check` (content hygiene, for the people who edit the FAQ and documentation)
CHECK_EMPTY_TEXT = "texte vide"
CHECK_NO_VARIANT = "aucune variante de la question"
CHECK_LINK_NO_TEXT = "lien sans texte ({url})"
CHECK_BAD_LINK = "lien mal formé « {url} »"
CHECK_BAD_ADDRESS = "adresse mal formée « {url} »"
CHECK_PROBLEMS = "{count} problème(s)."
CHECK_CLEAN = "Contenu vérifié : aucun problème."
CHECK_UNKNOWN_LABEL = ("libellé « {label} » présenté comme un élément de l'interface Pix ({trigger}) mais absent de "
                       "la liste des libellés ({glossary}) : vérifiez le nom exact, ou ajoutez-le à la liste avec sa source")
CHECK_STATUS_CONTRADICTION = ("« {field} » est dit {said} (« {excerpt} ») alors que le glossaire ({glossary}) "
                              "le donne {status}")
CHECK_UNCAVEATED = ("mentionne un point à vérifier du glossaire ({point} : « {excerpt} ») sans réserve "
                    "(par exemple « à vérifier », « à confirmer », « en cas de doute »…)")
CHECK_GLOSSARY_PROBLEM = "glossaire : {message}"
GLOSSARY_NOT_MAPPING = "le fichier doit être une suite de clés"
GLOSSARY_BAD_FIELD = "fields, entrée #{index} : « name » et « status » (obligatoire ou facultatif) attendus"
GLOSSARY_BAD_POINT = "to_verify, entrée #{index} : « mentions » doit être une liste de listes de mots"
GLOSSARY_NO_CAVEATS = "« caveats » (les mots qui font une réserve) manque"
GLOSSARY_BAD_LABEL = "labels, entrée #{index} : « label » attendu"
STATUS_WORDS = {"mandatory": "obligatoire", "optional": "facultatif"}
CHECK_UNSET_LOCAL = ("À compléter : {file}, ligne {line} : « {key} » n'est pas renseigné ; les réponses disent que "
                     "l'information manque et renvoient vers `correspondant`.")
CHECK_LOCAL_MISSING = ("À compléter : le fichier local de l'établissement ({file}, clé sources.local_file) est "
                       "introuvable ; les réponses qui citent ses informations disent qu'elles manquent.")
CHECK_MODEL_STALE = ("Avertissement : le contenu a changé depuis l'entraînement du modèle ({folder}). "
                     "Les nouvelles entrées sont déjà cherchées, mais `make model` (pixbot train) "
                     "peut améliorer les réponses.")


def source_problem(file: str, message: str, entry: str | None, line: int | None) -> str:
    where = file
    if line is not None:
        where += f", ligne {line}"
    if entry:
        where += f", entrée {entry}"
    return f"{where} : {message}"


INDEX_REFUSED = "Index non mis à jour : {count} erreur(s) dans les sources. L'index précédent reste en service."
INDEX_UP_TO_DATE = "Index à jour : rien n'a changé ({items} éléments)."
INDEX_BUILT = "Index reconstruit : {items} éléments ({faq} entrées de FAQ, {docs} passages de documentation)."
INDEX_CHANGES = "Modifications : {added} ajouté(s), {changed} modifié(s), {removed} supprimé(s)."
INDEX_EMBEDDED = "Textes encodés : {new} nouveaux, {cached} repris du cache."
