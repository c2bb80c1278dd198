//! Property test: UPIDs built from arbitrary valid parts format as Proxmox does and parse
//! back to the same parts and the same text.

use proptest::prelude::*;
use proximity::pve::Upid;

fn node() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?"
}

proptest! {
    #[test]
    fn upid_round_trips(
        node in node(),
        pid in any::<u32>(),
        pstart in 0u64..=0xF_FFFF_FFFF,
        starttime in 0u64..=0xFFFF_FFFF,
        kind in "[a-z_]{1,12}",
        id in "[a-zA-Z0-9._-]{0,10}",
        user in "[a-z]{1,8}@(pam|pve)(![a-z0-9]{1,6})?",
    ) {
        let upid = Upid::new(&node, pid, pstart, starttime, &kind, &id, &user).unwrap();
        let text = upid.to_string();
        prop_assert!(text.starts_with("UPID:") && text.ends_with(':'));
        prop_assert_eq!(text.as_str(), format!(
            "UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{id}:{user}:"
        ));
        let hex_fields: Vec<&str> = text.split(':').skip(2).take(3).collect();
        prop_assert!(hex_fields.iter().all(|f| !f.chars().any(|c| c.is_ascii_lowercase())));
        let parsed: Upid = text.parse().unwrap();
        prop_assert_eq!(&parsed, &upid);
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(parsed.pid(), pid);
        prop_assert_eq!(parsed.pstart(), pstart);
        prop_assert_eq!(parsed.starttime(), starttime);
        prop_assert_eq!(parsed.user(), user.as_str());
        // Through JSON as Proxmox sends it.
        let json = serde_json::to_string(&upid).unwrap();
        let back: Upid = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, upid);
    }

    #[test]
    fn received_text_round_trips_exactly(
        pid in "[0-9a-fA-F]{8}",
        pstart in "[0-9a-fA-F]{8,9}",
        start in "[0-9a-fA-F]{8}",
    ) {
        let text = format!("UPID:pve:{pid}:{pstart}:{start}:vzstart:100:root@pam:");
        let parsed: Upid = text.parse().unwrap();
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn garbage_never_panics(s in "\\PC{0,80}") {
        let _ = s.parse::<Upid>();
    }
}
