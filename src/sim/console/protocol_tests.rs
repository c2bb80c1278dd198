//! Tests of the termproxy stream parser: fixed cases from termproxy's rules and the property
//! that any split of a stream into chunks decodes to the same messages.

use super::*;
use proptest::prelude::*;

fn parse_chunks(chunks: &[&[u8]]) -> Vec<ClientMessage> {
    let mut parser = MessageParser::new();
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut out);
    }
    coalesce(out)
}

/// Consecutive inputs are one byte stream to the PTY; merge them before comparing.
fn coalesce(messages: Vec<ClientMessage>) -> Vec<ClientMessage> {
    let mut out: Vec<ClientMessage> = Vec::new();
    for message in messages {
        match (out.last_mut(), message) {
            (Some(ClientMessage::Input(prev)), ClientMessage::Input(next)) => {
                prev.extend_from_slice(&next)
            }
            (_, message) => out.push(message),
        }
    }
    out
}

#[test]
fn decodes_the_three_message_types() {
    let got = parse_chunks(&[b"0:5:hello1:100:30:2"]);
    assert_eq!(
        got,
        vec![
            ClientMessage::Input(b"hello".to_vec()),
            ClientMessage::Resize {
                cols: 100,
                rows: 30
            },
            ClientMessage::KeepAlive,
        ]
    );
}

#[test]
fn data_may_contain_colons_and_digits() {
    let got = parse_chunks(&[b"0:7:1:2:3:\n2"]);
    assert_eq!(
        got,
        vec![
            ClientMessage::Input(b"1:2:3:\n".to_vec()),
            ClientMessage::KeepAlive
        ]
    );
}

#[test]
fn len_counts_bytes_not_characters() {
    let data = "é€:😀";
    let mut stream = format!("0:{}:", data.len()).into_bytes();
    stream.extend_from_slice(data.as_bytes());
    stream.push(b'2');
    assert_eq!(
        parse_chunks(&[&stream]),
        vec![
            ClientMessage::Input(data.as_bytes().to_vec()),
            ClientMessage::KeepAlive
        ]
    );
}

#[test]
fn unknown_type_bytes_are_skipped_one_at_a_time() {
    let got = parse_chunks(&[b"xyz\n0:1:a"]);
    assert_eq!(got, vec![ClientMessage::Input(b"a".to_vec())]);
}

#[test]
fn bad_number_drops_the_message_and_parsing_resumes() {
    // `0:ab:` is not a length; what follows is parsed as new messages.
    let got = parse_chunks(&[b"0:ab:0:1:z"]);
    assert_eq!(got, vec![ClientMessage::Input(b"z".to_vec())]);
}

#[test]
fn long_number_field_is_discarded_twenty_bytes_at_a_time() {
    // 22 bytes before the `:`: the first 20 are dropped, `12` remains as the length.
    let mut stream = b"0:".to_vec();
    stream.extend_from_slice(&[b'9'; 20]);
    stream.extend_from_slice(b"2:abcdefghijkl");
    // 20 nines dropped, the field is "2": two bytes of data, then the rest is parsed as types.
    let got = parse_chunks(&[&stream]);
    assert_eq!(got, vec![ClientMessage::Input(b"ab".to_vec())]);
}

#[test]
fn oversized_resize_is_dropped() {
    let got = parse_chunks(&[b"1:70000:30:1:80:24:"]);
    assert_eq!(got, vec![ClientMessage::Resize { cols: 80, rows: 24 }]);
}

#[test]
fn zero_length_input_is_nothing() {
    assert_eq!(parse_chunks(&[b"0:0:2"]), vec![ClientMessage::KeepAlive]);
}

#[test]
fn auth_line_splits_at_first_colon_and_keeps_the_rest() {
    let mut reader = AuthLineReader::new();
    assert_eq!(reader.feed(b"root@pam:PVEVNC:ABC").unwrap(), None);
    let line = reader.feed(b"::sig==\n0:1:x").unwrap().unwrap();
    assert_eq!(line.user, b"root@pam");
    assert_eq!(line.ticket, b"PVEVNC:ABC::sig==");
    assert_eq!(line.rest, b"0:1:x");
}

#[test]
fn auth_line_without_colon_is_invalid() {
    let mut reader = AuthLineReader::new();
    assert_eq!(reader.feed(b"nocolon\n"), Err(AuthLineError::NoColon));
}

#[test]
fn auth_line_too_long_is_refused() {
    let mut reader = AuthLineReader::new();
    assert_eq!(reader.feed(&[b'a'; 3000]), Ok(None));
    assert_eq!(reader.feed(&[b'a'; 3000]), Err(AuthLineError::TooLong));
}

#[test]
fn encoders_match_the_xterm_js_client() {
    assert_eq!(encode_input("é".as_bytes()), b"0:2:\xc3\xa9".to_vec());
    assert_eq!(encode_resize(100, 30), b"1:100:30:".to_vec());
}

#[derive(Debug, Clone)]
enum Msg {
    Data(String),
    Resize(u16, u16),
    Ping,
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        // Any unicode, so multi-byte characters, `:` and digits all appear inside DATA.
        "[a-z0-9:é€😀\n\t ]{0,12}".prop_map(Msg::Data),
        any::<String>().prop_map(Msg::Data),
        (any::<u16>(), any::<u16>()).prop_map(|(c, r)| Msg::Resize(c, r)),
        Just(Msg::Ping),
    ]
}

fn encode(msgs: &[Msg]) -> (Vec<u8>, Vec<ClientMessage>) {
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for m in msgs {
        match m {
            Msg::Data(s) => {
                stream.extend_from_slice(&encode_input(s.as_bytes()));
                if !s.is_empty() {
                    expected.push(ClientMessage::Input(s.as_bytes().to_vec()));
                }
            }
            Msg::Resize(cols, rows) => {
                stream.extend_from_slice(&encode_resize(*cols, *rows));
                expected.push(ClientMessage::Resize {
                    cols: *cols,
                    rows: *rows,
                });
            }
            Msg::Ping => {
                stream.push(b'2');
                expected.push(ClientMessage::KeepAlive);
            }
        }
    }
    (stream, coalesce(expected))
}

fn split_at_points(stream: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
    points.iter_mut().for_each(|p| *p %= stream.len() + 1);
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        chunks.push(&stream[start..p]);
        start = p;
    }
    chunks.push(&stream[start..]);
    chunks
}

proptest! {
    #[test]
    fn any_split_gives_the_same_messages(
        msgs in prop::collection::vec(msg(), 0..12),
        points in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let (stream, expected) = encode(&msgs);
        let whole = parse_chunks(&[&stream]);
        prop_assert_eq!(&whole, &expected);
        let chunks = split_at_points(&stream, points);
        prop_assert_eq!(parse_chunks(&chunks), expected);
    }

    #[test]
    fn byte_by_byte_equals_whole(msgs in prop::collection::vec(msg(), 0..8)) {
        let (stream, expected) = encode(&msgs);
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(parse_chunks(&chunks), expected);
    }

    #[test]
    fn garbage_never_panics_and_splits_agree(
        stream in prop::collection::vec(any::<u8>(), 0..200),
        points in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        let whole = parse_chunks(&[&stream]);
        let chunks = split_at_points(&stream, points);
        prop_assert_eq!(parse_chunks(&chunks), whole);
    }

    #[test]
    fn auth_line_then_messages_any_split(
        user in "[a-z@!]{1,20}",
        msgs in prop::collection::vec(msg(), 0..6),
        points in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let ticket = "PVEVNC:6745A1B2::c2lnbmF0dXJl+/==";
        let (body, expected) = encode(&msgs);
        let mut stream = format!("{user}:{ticket}\n").into_bytes();
        stream.extend_from_slice(&body);
        let chunks = split_at_points(&stream, points);
        let mut reader = AuthLineReader::new();
        let mut parser = MessageParser::new();
        let mut out = Vec::new();
        let mut authed = None;
        for chunk in chunks {
            match &authed {
                None => {
                    if let Some(line) = reader.feed(chunk).unwrap() {
                        parser.feed(&line.rest, &mut out);
                        authed = Some(line);
                    }
                }
                Some(_) => parser.feed(chunk, &mut out),
            }
        }
        let line = authed.unwrap();
        prop_assert_eq!(line.user, user.into_bytes());
        prop_assert_eq!(line.ticket, ticket.as_bytes().to_vec());
        prop_assert_eq!(coalesce(out), expected);
    }
}
