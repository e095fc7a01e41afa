//! JSON Lines input for the commands that read articles: a file or standard input (`-`),
//! plain or compressed with gzip or zstd — recognised by the stream's first bytes, not by
//! the file's name, so `news.jsonl.gz`, `news.gz` and `zcat`-less pipes all work.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// How much the readers buffer.
const BUFFER_BYTES: usize = 1 << 20;

/// An opened input: its JSON Lines, and how many of its own bytes (compressed, when it
/// is) have been read, for progress over the file's size.
pub struct Input {
    /// The JSON Lines, decompressed.
    pub lines: Box<dyn BufRead>,
    /// Bytes read from the file or standard input so far.
    pub consumed: Consumed,
}

/// A count of the bytes read from an input, shared with its reader.
#[derive(Clone, Default)]
pub struct Consumed(Arc<AtomicU64>);

impl Consumed {
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts what passes through it.
struct Counting<R> {
    inner: R,
    consumed: Consumed,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.consumed.0.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// Opens `path` (`-`: standard input) for reading JSON Lines, decompressing gzip
/// (concatenated members too, as `cat a.gz b.gz` makes) and zstd. Other compression
/// formats are refused with what to do instead.
pub fn open(path: &Path) -> anyhow::Result<Input> {
    let name = path.display();
    let consumed = Consumed::default();
    let source: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {name}"))?)
    };
    let mut raw =
        BufReader::with_capacity(BUFFER_BYTES, Counting { inner: source, consumed: consumed.clone() });
    let start = raw.fill_buf().with_context(|| format!("cannot read {name}"))?;
    let lines: Box<dyn BufRead> = match Format::of(start) {
        Format::Plain => Box::new(raw),
        Format::Gzip => {
            Box::new(BufReader::with_capacity(BUFFER_BYTES, flate2::bufread::MultiGzDecoder::new(raw)))
        }
        Format::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(raw)
                .with_context(|| format!("cannot start reading {name} as zstd"))?;
            Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder))
        }
        Format::Unsupported(format) => return Err(refusal(path, format)),
    };
    Ok(Input { lines, consumed })
}

/// Checks, before anything is written, that the file `path` can be opened and is in a
/// format [`open`] reads (standard input is checked as it is read).
pub fn check(path: &Path) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let name = path.display();
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot open {name}"))?;
    if metadata.is_dir() {
        anyhow::bail!("{name} is a directory; give the JSON Lines files in it");
    }
    let mut start = Vec::with_capacity(8);
    File::open(path)
        .and_then(|file| file.take(8).read_to_end(&mut start))
        .with_context(|| format!("cannot read {name}"))?;
    match Format::of(&start) {
        Format::Unsupported(format) => Err(refusal(path, format)),
        _ => Ok(()),
    }
}

/// What an input's first bytes say it is.
#[derive(Debug, PartialEq, Eq)]
enum Format {
    Plain,
    Gzip,
    Zstd,
    /// A compression format newsdex does not read, named as the tool that decompresses it.
    Unsupported(&'static str),
}

impl Format {
    fn of(start: &[u8]) -> Format {
        match start {
            [0x1f, 0x8b, ..] => Format::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Format::Zstd,
            [b'B', b'Z', b'h', ..] => Format::Unsupported("bzip2"),
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Format::Unsupported("xz"),
            _ => Format::Plain,
        }
    }
}

/// Why an input compressed with `format` is refused, and what to do instead.
fn refusal(path: &Path, format: &str) -> anyhow::Error {
    let name = path.display();
    anyhow::anyhow!(
        "{name} is {format}-compressed; newsdex reads plain, gzip and zstd JSON Lines: \
         decompress it first (`{format} -dc {name} | newsdex … -`)"
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const LINES: &str = "{\"id\":\"a\",\"body\":\"一\"}\n{\"id\":\"b\",\"body\":\"two\"}\n";

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text).expect("compress");
        encoder.finish().expect("compress")
    }

    fn read_all(bytes: &[u8]) -> anyhow::Result<(String, u64)> {
        let mut file = tempfile::NamedTempFile::new()?;
        file.write_all(bytes)?;
        let mut input = open(file.path())?;
        let mut text = String::new();
        input.lines.read_to_string(&mut text)?;
        Ok((text, input.consumed.bytes()))
    }

    #[test]
    fn plain_gzip_and_zstd_read_alike() {
        let plain = LINES.as_bytes();
        let mut concatenated = gzip(&plain[..20]);
        concatenated.extend(gzip(&plain[20..]));
        let zstd = zstd::encode_all(plain, 3).expect("compress");
        for (bytes, format) in [
            (plain.to_vec(), Format::Plain),
            (gzip(plain), Format::Gzip),
            (concatenated, Format::Gzip),
            (zstd, Format::Zstd),
        ] {
            assert_eq!(Format::of(&bytes), format);
            let (text, consumed) = read_all(&bytes).expect("reads");
            assert_eq!(text, LINES, "{format:?}");
            assert_eq!(consumed, bytes.len() as u64, "help: every byte of the file was read and counted");
        }
        let (text, _) = read_all(b"").expect("an empty file reads as nothing");
        assert_eq!(text, "");
    }

    #[test]
    fn other_compression_and_corrupt_data_are_named() {
        let mut bzip2 = tempfile::NamedTempFile::new().expect("a file");
        bzip2.write_all(b"BZh91AY&SY").expect("write");
        for error in [open(bzip2.path()).err(), check(bzip2.path()).err()] {
            let error = error.expect("bzip2 is refused").to_string();
            assert!(error.contains("is bzip2-compressed") && error.contains("bzip2 -dc"), "{error}");
        }
        check(Path::new("-")).expect("standard input is checked as it is read");
        let mut corrupt = gzip(LINES.as_bytes());
        let middle = corrupt.len() / 2;
        corrupt[middle..].fill(0xff);
        let error = read_all(&corrupt).expect_err("corrupt gzip");
        assert!(error.to_string().contains("deflate") || error.to_string().contains("gzip"), "{error}");
    }
}
