//! The simulated shell's grammar: one input line becomes a list of pipelines joined by `;`,
//! `&&`, `||`, each a `|` chain of simple commands with `NAME=value` prefixes, words and
//! redirections (`>`, `>>`, `<`, `N>`, `N>&M`). Words keep their quoting (`'..'`, `".."`,
//! backslash) so that `$VAR`, `${VAR}`, `$?` and `$$` expand later, when the command runs.
//!
//! What a small honest shell does not do is refused with `sh: <what>: not supported` (status
//! 2): command substitution, subshells and groups, background jobs, here-documents, compound
//! commands (`if`, `for`, ...), `${VAR:-x}` forms. Globs are not expanded (words stay literal).

/// Part of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Unquoted text.
    Lit(String),
    /// Text from quotes or a backslash escape.
    Quoted(String),
    /// `$NAME`; `true` when inside double quotes (no field splitting).
    Var(String, bool),
}

pub type Word = Vec<Piece>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirKind {
    /// `>` (truncate) or `>>` (append) to a file.
    Write { target: Word, append: bool },
    /// `<` from a file.
    Read(Word),
    /// `N>&M`.
    Dup(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redir {
    pub fd: u32,
    pub kind: RedirKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// `! cmd`: the status is inverted.
    pub negate: bool,
    pub commands: Vec<SimpleCommand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Always,
    IfOk,
    IfFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// `;`, `&&`, `||`, `|`.
    Op(&'static str),
    Redir {
        fd: Option<u32>,
        op: &'static str,
    },
}

const KEYWORDS: [&str; 14] = [
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select",
];

fn not_supported(what: &str) -> String {
    format!("sh: {what}: not supported")
}

fn push_lit(word: &mut Word, c: char, quoted: bool) {
    match (word.last_mut(), quoted) {
        (Some(Piece::Lit(text)), false) | (Some(Piece::Quoted(text)), true) => text.push(c),
        _ if quoted => word.push(Piece::Quoted(c.to_string())),
        _ => word.push(Piece::Lit(c.to_string())),
    }
}

/// A word that is only unquoted digits (the `2` of `2>`).
fn as_fd(word: &Word) -> Option<u32> {
    match word.as_slice() {
        [Piece::Lit(text)] if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        _ => None,
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After `$`: the variable (or a literal `$`).
fn dollar(chars: &mut Chars<'_>, word: &mut Word, in_double: bool) -> Result<(), String> {
    match chars.peek().copied() {
        Some('?' | '$' | '#' | '!' | '0'..='9') => {
            let c = chars.next().unwrap_or('?');
            word.push(Piece::Var(c.to_string(), in_double));
        }
        Some('(') => return Err(not_supported("$(...)")),
        Some('{') => {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some('}') => break,
                    Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '?' => name.push(c),
                    Some(_) => return Err(not_supported("${...} with an operator")),
                    None => return Err("sh: syntax error: missing '}'".into()),
                }
            }
            word.push(Piece::Var(name, in_double));
        }
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut name = String::new();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '_' {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            word.push(Piece::Var(name, in_double));
        }
        _ => push_lit(word, '$', in_double),
    }
    Ok(())
}

fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut word: Word = Vec::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |tokens: &mut Vec<Token>, word: &mut Word, in_word: &mut bool| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                word.push(Piece::Quoted(String::new()));
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => push_lit(&mut word, c, true),
                        None => return Err("sh: syntax error: unterminated quoted string".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                word.push(Piece::Quoted(String::new()));
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('$' | '`' | '"' | '\\')) => push_lit(&mut word, e, true),
                            Some(other) => {
                                push_lit(&mut word, '\\', true);
                                push_lit(&mut word, other, true);
                            }
                            None => {
                                return Err("sh: syntax error: unterminated quoted string".into());
                            }
                        },
                        Some('$') => dollar(&mut chars, &mut word, true)?,
                        Some('`') => return Err(not_supported("`...`")),
                        Some(c) => push_lit(&mut word, c, true),
                        None => return Err("sh: syntax error: unterminated quoted string".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    push_lit(&mut word, next, true);
                }
            }
            '$' => {
                in_word = true;
                dollar(&mut chars, &mut word, false)?;
            }
            '`' => return Err(not_supported("`...`")),
            '#' if !in_word => break,
            c if c.is_whitespace() => end_word(&mut tokens, &mut word, &mut in_word),
            ';' | '&' | '|' => {
                end_word(&mut tokens, &mut word, &mut in_word);
                let op = match (c, chars.peek()) {
                    ('&', Some('&')) => "&&",
                    ('|', Some('|')) => "||",
                    (';', Some(';')) => return Err("sh: syntax error: unexpected \";;\"".into()),
                    ('&', Some('>')) => return Err(not_supported("&>")),
                    ('&', _) => return Err(not_supported("& (background jobs)")),
                    (';', _) => ";",
                    _ => "|",
                };
                if op.len() == 2 {
                    chars.next();
                }
                tokens.push(Token::Op(op));
            }
            '>' | '<' => {
                let fd = if in_word { as_fd(&word) } else { None };
                if fd.is_some() {
                    word.clear();
                    in_word = false;
                }
                end_word(&mut tokens, &mut word, &mut in_word);
                let op = match (c, chars.peek()) {
                    ('>', Some('>')) => ">>",
                    ('>', Some('&')) => ">&",
                    ('>', Some('|')) => ">|",
                    ('<', Some('<')) => return Err(not_supported("<< (here-documents)")),
                    ('<', Some('&' | '>')) => return Err(not_supported("<& and <>")),
                    ('>', _) => ">",
                    _ => "<",
                };
                if op.len() == 2 {
                    chars.next();
                }
                tokens.push(Token::Redir { fd, op });
            }
            '(' | ')' => return Err(not_supported("( ) subshells")),
            c => {
                push_lit(&mut word, c, false);
                in_word = true;
            }
        }
    }
    end_word(&mut tokens, &mut word, &mut in_word);
    Ok(tokens)
}

/// `NAME=` at the start of an unquoted word.
fn assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Piece::Lit(first)) = word.first() else {
        return None;
    };
    let (name, rest) = first.split_once('=')?;
    let mut chars = name.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !ok_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let mut value: Word = Vec::new();
    if !rest.is_empty() {
        value.push(Piece::Lit(rest.to_string()));
    }
    value.extend(word[1..].iter().cloned());
    Some((name.to_string(), value))
}

fn is_plain(word: &Word, text: &str) -> bool {
    matches!(word.as_slice(), [Piece::Lit(t)] if t == text)
}

/// Parses one input line.
pub fn parse_line(line: &str) -> Result<Vec<(Join, Pipeline)>, String> {
    let tokens = tokenize(line)?;
    let mut list: Vec<(Join, Pipeline)> = Vec::new();
    let mut join = Join::Always;
    let mut pipeline = Pipeline::default();
    let mut command = SimpleCommand::default();
    let mut tokens = tokens.into_iter();
    let mut after_pipe = false;
    let unexpected = |what: &str| format!("sh: syntax error: unexpected \"{what}\"");
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word) => {
                let at_start = command.words.is_empty() && command.assigns.is_empty();
                if at_start
                    && pipeline.commands.is_empty()
                    && !pipeline.negate
                    && is_plain(&word, "!")
                {
                    pipeline.negate = true;
                } else if command.words.is_empty()
                    && let Some(assign) = assignment(&word)
                {
                    command.assigns.push(assign);
                } else {
                    if command.words.is_empty()
                        && let [Piece::Lit(text)] = word.as_slice()
                    {
                        if KEYWORDS.contains(&text.as_str()) {
                            return Err(not_supported(text));
                        }
                        if text == "{" || text == "}" {
                            return Err(not_supported("{ } groups"));
                        }
                    }
                    command.words.push(word);
                }
            }
            Token::Redir { fd, op } => {
                let default_fd = if op == "<" { 0 } else { 1 };
                let fd = fd.unwrap_or(default_fd);
                let target = match tokens.next() {
                    Some(Token::Word(w)) => w,
                    _ => return Err(unexpected("newline")),
                };
                let kind = match op {
                    ">&" => match as_fd(&target) {
                        Some(to) => RedirKind::Dup(to),
                        None => return Err(not_supported(">& to a file or -")),
                    },
                    "<" => RedirKind::Read(target),
                    _ => RedirKind::Write {
                        target,
                        append: op == ">>",
                    },
                };
                command.redirs.push(Redir { fd, kind });
            }
            Token::Op(op) => {
                if command == SimpleCommand::default() {
                    return Err(unexpected(op));
                }
                pipeline.commands.push(std::mem::take(&mut command));
                after_pipe = op == "|";
                if after_pipe {
                    continue;
                }
                list.push((join, std::mem::take(&mut pipeline)));
                join = match op {
                    "&&" => Join::IfOk,
                    "||" => Join::IfFailed,
                    _ => Join::Always,
                };
            }
        }
    }
    if command != SimpleCommand::default() {
        pipeline.commands.push(command);
    } else if after_pipe {
        return Err(unexpected("end of line"));
    }
    if !pipeline.commands.is_empty() {
        list.push((join, pipeline));
    } else if join != Join::Always || pipeline.negate {
        return Err(unexpected("end of line"));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Word {
        vec![Piece::Lit(s.into())]
    }

    #[test]
    fn words_quotes_and_variables() {
        let list = parse_line(r#"printf '%s:%d\n' "a $HOME b" x\ y $? ${V}"#).unwrap();
        let words = &list[0].1.commands[0].words;
        assert_eq!(words[0], lit("printf"));
        assert_eq!(words[1], vec![Piece::Quoted("%s:%d\\n".into())]);
        assert_eq!(
            words[2],
            vec![
                Piece::Quoted("a ".into()),
                Piece::Var("HOME".into(), true),
                Piece::Quoted(" b".into())
            ]
        );
        assert_eq!(
            words[3],
            vec![
                Piece::Lit("x".into()),
                Piece::Quoted(" ".into()),
                Piece::Lit("y".into())
            ]
        );
        assert_eq!(words[4], vec![Piece::Var("?".into(), false)]);
        assert_eq!(words[5], vec![Piece::Var("V".into(), false)]);
    }

    #[test]
    fn lists_pipes_redirections_assignments() {
        let list =
            parse_line("A=1 B='x y' cmd >out 2>&1 && a | b 2>/dev/null; ! c <in; x=").unwrap();
        assert_eq!(list.len(), 4);
        let first = &list[0].1.commands[0];
        assert_eq!(first.assigns.len(), 2);
        assert_eq!(
            first.redirs[1],
            Redir {
                fd: 2,
                kind: RedirKind::Dup(1)
            }
        );
        assert_eq!(list[1].0, Join::IfOk);
        assert_eq!(list[1].1.commands.len(), 2);
        assert!(list[2].1.negate);
        assert_eq!(list[3].1.commands[0].assigns, [("x".to_string(), vec![])]);
        assert!(parse_line("").unwrap().is_empty());
        assert!(parse_line("   # only a comment").unwrap().is_empty());
        assert_eq!(parse_line("a;").unwrap().len(), 1);
    }

    #[test]
    fn unsupported_and_broken_syntax_is_refused() {
        for line in [
            "echo $(id)",
            "echo `id`",
            "(cd /)",
            "sleep 1 &",
            "cat <<EOF",
            "if true; then echo; fi",
            "{ echo; }",
            "echo ${A:-x}",
        ] {
            let err = parse_line(line).unwrap_err();
            assert!(err.ends_with("not supported"), "{line}: {err}");
        }
        for line in ["echo 'open", "a &&", "| b", "a >", "&& b", "; x"] {
            assert!(parse_line(line).is_err(), "{line}");
        }
    }
}
