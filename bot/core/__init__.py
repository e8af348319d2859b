"""The platform-neutral core: the brain (dispatch of messages, commands and conversation
states), the command registry, what goes in and out (``messages``), storage, configuration,
privacy, the French strings and the rendering of people's text. It knows no chat platform and
no feature: features and adapters plug into the brain's public API."""
