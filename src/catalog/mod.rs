//! The app catalog (`assets/catalog/`). Not built yet: see README "Not finished".
