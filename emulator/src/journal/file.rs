//! The journal kept on disk (`journal_persist = true` with a data directory): one JSON line
//! per event appended to `DIR/journal.jsonl`. At start the file's events are read back within
//! the journal's bounds and the file is rewritten with those alone; it is rewritten again when
//! it holds twice the byte bound, so it stays within about twice the in-memory journal.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, LineWriter, Write as _};
use std::path::{Path, PathBuf};

use super::Event;

#[derive(Debug)]
pub(super) struct JournalFile {
    path: PathBuf,
    out: LineWriter<File>,
    /// Bytes appended since the last rewrite.
    written: usize,
}

impl JournalFile {
    /// Opens `path`, returning the events it held (a line that does not parse, such as one
    /// cut by a kill, is skipped), in sequence order.
    pub(super) fn open(path: &Path) -> io::Result<(Self, Vec<Event>)> {
        let mut events: Vec<Event> = match File::open(path) {
            Ok(f) => BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str(&l).ok())
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        events.sort_by_key(|e| e.seq);
        let out = LineWriter::new(OpenOptions::new().create(true).append(true).open(path)?);
        let file = Self {
            path: path.to_owned(),
            out,
            written: 0,
        };
        Ok((file, events))
    }

    pub(super) fn append(&mut self, event: &Event) -> io::Result<()> {
        let line = serde_json::to_string(event)?;
        self.written += line.len() + 1;
        writeln!(self.out, "{line}")
    }

    pub(super) fn written(&self) -> usize {
        self.written
    }

    /// Replaces the file with `events` (written beside it, then renamed over it).
    pub(super) fn rewrite<'a>(
        &mut self,
        events: impl Iterator<Item = &'a Event>,
    ) -> io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        {
            let mut w = io::BufWriter::new(File::create(&tmp)?);
            for e in events {
                serde_json::to_writer(&mut w, e)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        self.out = LineWriter::new(OpenOptions::new().append(true).open(&self.path)?);
        self.written = 0;
        Ok(())
    }
}
