//! Search in a log: smart case (a query with a capital letter matches case), every match
//! as (line, first char), the current one for `n`/`N`. Matching a new batch of lines costs
//! only those lines, so a followed log never rescans what it already searched.

use super::task_board::LogLine;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogSearch {
    /// The query line while it is typed (`/`); `None` when not typing.
    pub input: Option<String>,
    /// The committed query; empty = no search.
    pub query: String,
    /// Every match, in log order: (line index, char index of its start).
    pub matches: Vec<(usize, usize)>,
    /// Index into `matches` of the one `n`/`N` moved to.
    pub current: Option<usize>,
}

impl LogSearch {
    pub fn is_active(&self) -> bool {
        !self.query.is_empty()
    }

    /// Search `lines` for `query` from scratch; the current match is the first at or after
    /// line `from` (wrapping to the first), as `less` does.
    pub fn commit(&mut self, query: String, lines: &[LogLine], from: usize) {
        self.query = query;
        self.matches.clear();
        self.current = None;
        if self.query.is_empty() {
            return;
        }
        self.extend(lines, 0);
        if !self.matches.is_empty() {
            let at = self.matches.iter().position(|(l, _)| *l >= from);
            self.current = Some(at.unwrap_or(0));
        }
    }

    /// Lines from `first` on changed (appended or replaced): drop their old matches and
    /// search them again.
    pub fn extend(&mut self, lines: &[LogLine], first: usize) {
        if self.query.is_empty() {
            return;
        }
        self.matches.retain(|(l, _)| *l < first);
        if let Some(c) = self.current
            && c >= self.matches.len()
        {
            self.current = self.matches.len().checked_sub(1);
        }
        for (i, line) in lines.iter().enumerate().skip(first) {
            for start in find_all(&line.text, &self.query) {
                self.matches.push((i, start));
            }
        }
        if self.current.is_none() && !self.matches.is_empty() {
            self.current = Some(0);
        }
    }

    pub fn clear(&mut self) {
        *self = LogSearch::default();
    }

    /// Move to the next (`forward`) or previous match, wrapping around; the line it is on.
    pub fn step(&mut self, forward: bool) -> Option<usize> {
        let n = self.matches.len();
        if n == 0 {
            return None;
        }
        let next = match self.current {
            None => 0,
            Some(c) if forward => (c + 1) % n,
            Some(c) => (c + n - 1) % n,
        };
        self.current = Some(next);
        self.matches.get(next).map(|(l, _)| *l)
    }

    /// `3/17`, or `no match`.
    pub fn counter(&self) -> String {
        match self.current {
            Some(c) if !self.matches.is_empty() => format!("{}/{}", c + 1, self.matches.len()),
            _ => "no match".to_string(),
        }
    }
}

/// Char index of every non-overlapping occurrence of `query` in `line`; smart case.
pub fn find_all(line: &str, query: &str) -> Vec<usize> {
    if query.is_empty() {
        return Vec::new();
    }
    let ignore_case = !query.chars().any(char::is_uppercase);
    let fold = |c: char| {
        if ignore_case {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let needle: Vec<char> = query.chars().map(fold).collect();
    let hay: Vec<char> = line.chars().map(fold).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == needle[..] {
            out.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case() {
        assert_eq!(find_all("Error error ERROR", "error"), vec![0, 6, 12]);
        assert_eq!(find_all("Error error ERROR", "Error"), vec![0]);
        assert_eq!(find_all("aaaa", "aa"), vec![0, 2]);
        assert_eq!(find_all("ünïcode Ünï", "ünï"), vec![0, 8]);
    }
}
