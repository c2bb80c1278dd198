//! sled-backed state behind a small trait: hosts (secrets encrypted), cache, settings.
