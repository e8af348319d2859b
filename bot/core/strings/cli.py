"""Shown to whoever runs `pixbot`: configuration, model and database problems."""

from __future__ import annotations

# --- Command-line tool ---

CLI_CONFIG_ERROR = "Erreur de configuration : {error}"
CLI_NO_ADAPTER = "Aucun adaptateur entraîné dans {folder} : lancez d'abord `pixbot train`."


# --- Database (shown to whoever starts the bot) ---

def storage_schema_too_new(path: str, found: int, known: int, module: str | None = None) -> str:
    what = f"le schéma « {module} »" if module else "le schéma"
    return (f"La base de données {path} a {what} en version {found}, alors que cette version de pixbot "
            f"ne connaît que les versions jusqu'à {known} : elle a été écrite par une version plus récente. "
            "Mettez pixbot à jour, ou indiquez une autre base (storage.database). Le fichier n'a pas été modifié.")
