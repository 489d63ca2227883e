//! Input size limits (SPEC §12.3): every file ceq reads is a regular file of bounded size, so
//! `/dev/zero`, a FIFO or a 200 MB list is refused with a clear message instead of being read
//! until memory runs out.

use anyhow::Context;
use std::path::Path;

/// The largest shard file `merge` reads (a shard of 10⁵ runs of a 10-year monthly scenario
/// with a few cohorts is about 100 MB).
pub const MAX_SHARD_BYTES: u64 = 1 << 30;

/// Reads `path` whole if it is a regular file of at most `max` bytes
/// ([`crate::scenario::read_regular_file`]).
pub fn read_file(path: &Path, max: u64) -> anyhow::Result<Vec<u8>> {
    crate::scenario::read_regular_file(path, max)
        .with_context(|| format!("cannot read {}", path.display()))
}

/// A data file `ceq fit` reads (at most [`crate::scenario::MAX_DATA_BYTES`]) as text, invalid
/// UTF-8 replaced.
pub fn read_data_text(path: &Path) -> anyhow::Result<String> {
    read_file(path, crate::scenario::MAX_DATA_BYTES)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_large_files_are_refused() {
        #[cfg(unix)]
        assert!(
            format!("{:#}", read_file(Path::new("/dev/zero"), 10).unwrap_err())
                .contains("not a regular file")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, [0u8; 11]).unwrap();
        let error = format!("{:#}", read_file(&path, 10).unwrap_err());
        assert!(
            error.ends_with("the file is 11 bytes; the limit is 10 bytes"),
            "{error}"
        );
        assert_eq!(read_file(&path, 11).unwrap().len(), 11);
    }
}
