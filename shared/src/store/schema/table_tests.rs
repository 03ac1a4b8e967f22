//! The table definition's unit tests: key attributes, attribute names, list shards.
use super::*;

#[test]
fn key_attributes_are_each_named_once() {
    assert_eq!(
        key_attributes(),
        [
            "active_pk",
            "all_pk",
            "created_key",
            "expiry_key",
            "id",
            "mentor_id",
            "mentor_status_pk",
            "mentor_type_pk",
            "mentor_type_status_pk",
            "status_pk",
            "type_pk",
            "type_status_pk"
        ]
    );
}

#[test]
fn the_attribute_constants_are_the_stored_record_s_names() {
    let mut c = crate::testing::certification("cert-a", "2027-01-01T00:00:00Z");
    c.mentor_name = Some("Lars".into());
    c.status_reason = Some("audit".into());
    let item = crate::store::item::stored_item(&c).unwrap();
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = vec![
        attr::ID,
        attr::MENTOR_ID,
        attr::MENTOR_NAME,
        attr::CERT_TYPE,
        attr::STATUS,
        attr::STATUS_REASON,
        attr::ISSUED_AT,
        attr::EXPIRES_AT,
        attr::RENEWAL_COUNT,
        attr::RENEWAL_HISTORY,
        attr::CREATED_AT,
        attr::UPDATED_AT,
        attr::CREATED_KEY,
        attr::EXPIRY_KEY,
        attr::ALL_PK,
        attr::TYPE_PK,
        attr::STATUS_PK,
        attr::TYPE_STATUS_PK,
        attr::MENTOR_TYPE_PK,
        attr::MENTOR_STATUS_PK,
        attr::MENTOR_TYPE_STATUS_PK,
        attr::ACTIVE_PK,
        attr::VERSION,
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
}

#[test]
fn list_shards_are_stable_and_spread() {
    // Stored in every item: a change here needs `migrate`.
    assert_eq!(list_shard("cert-a"), list_shard("cert-a"));
    let mut seen = [0u32; LIST_SHARDS as usize];
    for i in 0..4000 {
        seen[list_shard(&format!("cert-{i:05}")) as usize] += 1;
    }
    assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
}

#[test]
fn mentor_partition_values_split_back_into_their_parts() {
    use crate::domain::Status;
    use crate::store::schema::item::{mentor_status_pk, mentor_type_pk, mentor_type_status_pk};
    use crate::validation::{is_cert_type, is_mentor_id};
    // Neither a mentor_id nor a cert_type can hold the separator.
    assert!(!is_mentor_id("#") && !is_cert_type("#"));
    assert!(!is_mentor_id("a#b") && !is_cert_type("a#b"));
    // So every value is its parts joined by `#`, and splitting gives them back: two different
    // (mentor, type, status) never share a partition. Near misses on purpose: a mentor whose
    // id ends like a type, a type named like a status.
    let mentors = ["m", "m-1", "m:level_1", "a.b_c"];
    let types = ["level_1", "active", "m"];
    let mut seen = std::collections::BTreeSet::new();
    for m in mentors {
        assert!(is_mentor_id(m));
        for t in types {
            assert!(is_cert_type(t));
            assert_eq!(mentor_type_pk(m, t).split('#').collect::<Vec<_>>(), [m, t]);
            assert!(seen.insert(("type", mentor_type_pk(m, t))));
            for st in Status::ALL {
                let parts = mentor_type_status_pk(m, t, st);
                assert_eq!(parts.split('#').collect::<Vec<_>>(), [m, t, st.as_str()]);
                assert!(seen.insert(("type-status", parts)));
            }
        }
        for st in Status::ALL {
            assert_eq!(mentor_status_pk(m, st).split('#').collect::<Vec<_>>(), [m, st.as_str()]);
            assert!(seen.insert(("status", mentor_status_pk(m, st))));
        }
    }
}
