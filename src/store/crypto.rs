//! Encryption of secrets at rest, and where the key comes from.
//!
//! Each secret is sealed with XChaCha20-Poly1305 under one 32-byte store key, with a fresh
//! random 24-byte nonce per value (192 bits: random nonces never realistically collide) and the
//! record key as associated data, so a ciphertext copied into another record fails to open.
//!
//! The key comes from one of two places:
//! - **Key file** (default): 32 random bytes, hex, in `<data_dir>/secret.key`, created 0600
//!   and written crash-safely (see `key_file`).
//!   Works unattended (over SSH, in CI, at boot) with nothing to type. It protects against
//!   the database leaking alone (a backup, a copied directory, a bug report); someone who can
//!   read both files as the user gets the secrets, as with any unattended tool. We refuse a key
//!   file that the group or others can read, naming the file, rather than fix it silently.
//! - **Passphrase** (`PROXIMITY_PASSPHRASE` set): the key is derived with Argon2id from the
//!   passphrase and a random salt kept in the store's `meta` tree. For users whose data dir
//!   lives on a shared or synced disk, where a key file beside the database would travel with it.
//!   Argon2id makes guessing the passphrase from a stolen store memory- and time-hard.

use std::io;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::secret::Secret;

/// Length of the store key in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// Why the store key could not be obtained or does not fit the store.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "key file {path} is readable by group or others (mode {mode:04o}); refusing to use it: run `chmod 600 {path}` if it was not exposed, or replace it"
    )]
    KeyFileTooOpen { path: String, mode: u32 },
    #[error(
        "key file {path} is missing but the store at {store} holds secrets sealed with it; restore the file, or move the store aside to start over"
    )]
    KeyFileMissing { path: String, store: String },
    #[error("key file {path} is malformed: expected 64 hex characters (a 32-byte key)")]
    KeyFileMalformed { path: String },
    #[error(
        "key file {path} is cut short ({hex_len} of 64 hex characters), likely by a crash while it was written, and the store at {store} holds secrets sealed with the lost key: restore the file from a backup, or move the store aside to start over"
    )]
    KeyFileShort {
        path: String,
        hex_len: usize,
        store: String,
    },
    #[error("cannot {action} key file {path}: {source}")]
    KeyFileIo {
        action: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the store's secrets were sealed with a different key than {which}")]
    WrongKey { which: String },
    #[error("this store is protected by a passphrase: set PROXIMITY_PASSPHRASE")]
    PassphraseRequired,
    #[error("the store at {store} uses its key file, not a passphrase: unset PROXIMITY_PASSPHRASE")]
    PassphraseNotUsed { store: String },
    #[error("PROXIMITY_PASSPHRASE is set but empty")]
    EmptyPassphrase,
    #[error("key derivation failed: {0}")]
    Kdf(String),
    #[error("cannot encrypt a secret: value too large")]
    Seal,
    #[error("the system random number generator failed: {0}")]
    Rng(String),
}

/// Where the store key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A random key in this file, created on first use.
    KeyFile(PathBuf),
    /// A key derived from this passphrase (Argon2id, salt in the store).
    Passphrase(Secret),
}

impl KeySource {
    /// `PROXIMITY_PASSPHRASE` if set, else `<data_dir>/secret.key`.
    pub fn from_env(data_dir: &Path) -> KeySource {
        KeySource::choose(std::env::var_os("PROXIMITY_PASSPHRASE"), data_dir)
    }

    /// The choice behind [`KeySource::from_env`], given the variable's value.
    pub fn choose(passphrase: Option<std::ffi::OsString>, data_dir: &Path) -> KeySource {
        match passphrase {
            // A set but non-UTF-8 passphrase must not silently fall back to the key file;
            // the lossy conversion is deterministic, so the same bytes give the same key.
            Some(p) => KeySource::Passphrase(Secret::new(p.to_string_lossy().into_owned())),
            None => KeySource::KeyFile(data_dir.join("secret.key")),
        }
    }
}

/// A sealed secret as stored inside a JSON record: hex nonce and hex ciphertext (with tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub nonce: String,
    pub ciphertext: String,
}

/// The AEAD under the store key.
#[derive(Clone)]
pub struct SecretCipher {
    aead: XChaCha20Poly1305,
}

/// A sealed value did not open: wrong key, or the bytes or record key were changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFailed;

impl SecretCipher {
    pub fn new(key: &[u8; KEY_LEN]) -> SecretCipher {
        SecretCipher {
            aead: XChaCha20Poly1305::new(&Key::from(*key)),
        }
    }

    /// Encrypt `plain`, bound to `record` (the associated data).
    pub fn seal(&self, record: &[u8], plain: &[u8]) -> Result<Sealed, KeyError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = XNonce::from(*nonce_bytes);
        let ciphertext = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: record,
                },
            )
            // Only fails for inputs beyond 256 GiB.
            .map_err(|_| KeyError::Seal)?;
        Ok(Sealed {
            nonce: hex::encode(*nonce_bytes),
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// Decrypt a value sealed for `record`.
    pub fn open(&self, record: &[u8], sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, OpenFailed> {
        let nonce_bytes: [u8; NONCE_LEN] = hex::decode(&sealed.nonce)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or(OpenFailed)?;
        let ciphertext = hex::decode(&sealed.ciphertext).map_err(|_| OpenFailed)?;
        self.aead
            .decrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: &ciphertext,
                    aad: record,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenFailed)
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, KeyError> {
    <[u8; N]>::try_generate()
        .map(Zeroizing::new)
        .map_err(|e| KeyError::Rng(e.to_string()))
}

/// Argon2id parameters, stored beside the salt so they can be raised later without
/// locking out existing stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub algorithm: String,
    pub salt: String,
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// Fresh parameters with a random 16-byte salt: OWASP's Argon2id baseline
    /// (19 MiB, 2 passes, 1 lane), a fraction of a second per open.
    pub fn generate() -> Result<KdfParams, KeyError> {
        let salt = random_bytes::<16>()?;
        Ok(KdfParams {
            algorithm: "argon2id".to_string(),
            salt: hex::encode(*salt),
            m_cost_kib: argon2::Params::DEFAULT_M_COST,
            t_cost: argon2::Params::DEFAULT_T_COST,
            p_cost: argon2::Params::DEFAULT_P_COST,
        })
    }

    pub fn derive(&self, passphrase: &Secret) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        if passphrase.is_empty() {
            return Err(KeyError::EmptyPassphrase);
        }
        if self.algorithm != "argon2id" {
            return Err(KeyError::Kdf(format!(
                "unknown algorithm {:?} in the store",
                self.algorithm
            )));
        }
        let salt = hex::decode(&self.salt)
            .map_err(|_| KeyError::Kdf("the stored salt is not hex".to_string()))?;
        let params = argon2::Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(KEY_LEN))
            .map_err(|e| KeyError::Kdf(e.to_string()))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase.expose().as_bytes(), &salt, key.as_mut_slice())
            .map_err(|e| KeyError::Kdf(e.to_string()))?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let key = random_bytes::<KEY_LEN>().unwrap();
        let cipher = SecretCipher::new(&key);
        let a = cipher.seal(b"hosts/a/secret", b"s3cret").unwrap();
        let b = cipher.seal(b"hosts/a/secret", b"s3cret").unwrap();
        assert_ne!(a.nonce, b.nonce, "nonce must be fresh per value");
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(
            cipher.open(b"hosts/a/secret", &a).unwrap().as_slice(),
            b"s3cret"
        );
        assert_eq!(cipher.open(b"hosts/b/secret", &a), Err(OpenFailed));
        let other = SecretCipher::new(&random_bytes::<KEY_LEN>().unwrap());
        assert_eq!(other.open(b"hosts/a/secret", &a), Err(OpenFailed));
        let mut tampered = a.clone();
        tampered.ciphertext.replace_range(0..2, "00");
        if tampered.ciphertext != a.ciphertext {
            assert_eq!(cipher.open(b"hosts/a/secret", &tampered), Err(OpenFailed));
        }
    }

    #[test]
    fn key_source_choice() {
        let dir = Path::new("/d");
        assert!(matches!(
            KeySource::choose(None, dir),
            KeySource::KeyFile(p) if p == Path::new("/d/secret.key")
        ));
        match KeySource::choose(Some("pw".into()), dir) {
            KeySource::Passphrase(p) => assert_eq!(p.expose(), "pw"),
            other => panic!("unexpected {other:?}"),
        }
        // Set but empty stays a passphrase, so opening reports it instead of using a key file.
        assert!(matches!(
            KeySource::choose(Some("".into()), dir),
            KeySource::Passphrase(_)
        ));
    }

    #[test]
    fn kdf_is_deterministic_per_salt() {
        let mut params = KdfParams::generate().unwrap();
        // Small cost: this test checks wiring, not strength.
        params.m_cost_kib = 64;
        params.t_cost = 1;
        let pass = Secret::new("correct horse");
        let k1 = params.derive(&pass).unwrap();
        let k2 = params.derive(&pass).unwrap();
        assert_eq!(*k1, *k2);
        let k3 = params.derive(&Secret::new("wrong horse")).unwrap();
        assert_ne!(*k1, *k3);
        let mut other_salt = params.clone();
        other_salt.salt = hex::encode(*random_bytes::<16>().unwrap());
        assert_ne!(*k1, *other_salt.derive(&pass).unwrap());
        assert!(matches!(
            params.derive(&Secret::new("")),
            Err(KeyError::EmptyPassphrase)
        ));
    }
}
