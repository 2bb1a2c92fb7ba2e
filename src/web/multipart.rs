//! Multipart forms (uploads) read as a stream with caps: text fields up to a size, files
//! kept up to their limit (a larger file is marked, not stored), the whole body bounded.

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::error::AppError;

/// The whole multipart body may not exceed this (a 20 MiB upload is read and refused
/// with a message; beyond this the request is refused as too large).
pub const BODY_MAX: usize = 32 * 1024 * 1024;
const TEXT_MAX: usize = 256 * 1024;

#[derive(Debug, Default)]
pub struct Parts {
    pub fields: Vec<(String, String)>,
    /// name → (bytes kept, the file was larger than the limit)
    /// (field name, bytes, over the limit, file name)
    pub files: Vec<(String, Vec<u8>, bool, String)>,
}

impl Parts {
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// An uploaded file: its bytes and whether it was over the limit. A part without a
    /// file name is no file (a browser sends one when nothing was chosen); a named file
    /// of zero bytes is a file, and empty.
    pub fn file(&self, name: &str) -> Option<(&[u8], bool)> {
        self.files
            .iter()
            .find(|(k, b, big, f)| k == name && (!b.is_empty() || *big || !f.is_empty()))
            .map(|(_, b, big, _)| (b.as_slice(), *big))
    }
}

impl Parts {
    /// The file name the browser sent with the file field `name`.
    pub fn file_name(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(k, ..)| k == name)
            .map(|(.., f)| f.as_str())
    }
}

pub async fn read(mut mp: Multipart, file_limit: usize) -> Result<Parts, AppError> {
    let mut parts = Parts::default();
    let mut total = 0usize;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|_| AppError::BadRequest)?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let is_file = filename.is_some();
        let mut buf = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::BadRequest)?;
            total += chunk.len();
            if total > BODY_MAX {
                return Err(AppError::PayloadTooLarge);
            }
            let limit = if is_file { file_limit } else { TEXT_MAX };
            if buf.len() + chunk.len() > limit {
                over = true;
            } else {
                buf.extend_from_slice(&chunk);
            }
        }
        if is_file {
            parts.files.push((
                name,
                if over { Vec::new() } else { buf },
                over,
                filename.unwrap_or_default(),
            ));
        } else if over {
            return Err(AppError::PayloadTooLarge);
        } else {
            let text = String::from_utf8_lossy(&buf).into_owned();
            if crate::web::forms::has_forbidden_control(&text) {
                return Err(AppError::Unprocessable);
            }
            parts.fields.push((name, text));
        }
    }
    Ok(parts)
}
