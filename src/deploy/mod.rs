//! The deployment engine. Not built yet: see README "Not finished".
