//! What the services accept from the command line and from files, and
//! exactly how they refuse the rest.

use super::refusal;
use crate::error::Kind;
use crate::service::{audit, csv_records, user_list};
use crate::store::Column;

fn usage<T>(r: Result<T, crate::error::AppError>) -> (Kind, String) {
    refusal(r.map_err(anyhow::Error::from))
}

#[test]
fn a_sort_names_a_column_and_an_optional_direction() {
    assert_eq!(user_list::parse_sort("email").unwrap(), (Column::Email, false));
    assert_eq!(user_list::parse_sort("last-name:desc").unwrap(), (Column::LastName, true));
    assert_eq!(user_list::parse_sort("roles:asc").unwrap(), (Column::Role, false));
    assert_eq!(usage(user_list::parse_sort("shoe_size")), (Kind::Usage, "cannot sort by 'shoe_size': no such column".into()));
    assert_eq!(
        usage(user_list::parse_sort("email:sideways")),
        (Kind::Usage, "invalid sort direction 'sideways': use :asc or :desc".into())
    );
}

#[test]
fn a_time_bound_is_normalised_to_utc_seconds() {
    assert_eq!(audit::parse_time("2026-11-01T10:30:00+01:00").unwrap(), "2026-11-01T09:30:00Z");
    assert_eq!(audit::parse_time("2026-11-01").unwrap(), "2026-11-01T00:00:00Z");
    let week = audit::parse_time("7d").unwrap();
    let expected = (chrono::Utc::now() - chrono::TimeDelta::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(week <= expected && week.len() == expected.len(), "{week} vs {expected}");
}

#[test]
fn a_bad_or_overflowing_time_bound_is_one_usage_error() {
    for bad in ["yesterday", "7x", "d", "", "99999999999999999999d", "9223372036854775807w", "2026-13-01"] {
        let (kind, msg) = usage(audit::parse_time(bad));
        assert_eq!((kind, msg), (Kind::Usage, format!("invalid time '{bad}'")), "{bad:?}");
    }
}

#[test]
fn an_audit_head_is_a_positive_id_and_a_sha256() {
    let hash = "AB".repeat(32);
    assert_eq!(audit::parse_head(&format!("12:{hash}")).unwrap(), (12, "ab".repeat(32)));
    let bads = ["12".to_string(), format!("0:{hash}"), format!("-1:{hash}"), "12:abc".into(), format!("12:{}", "g".repeat(64))];
    for bad in bads {
        let (kind, msg) = usage(audit::parse_head(&bad));
        assert_eq!((kind, msg), (Kind::Usage, format!("invalid head '{bad}'")));
    }
}

#[test]
fn an_exported_cell_comes_back_as_it_was() {
    assert_eq!(csv_records::restore("'=SUM(A1)"), "=SUM(A1)");
    assert_eq!(csv_records::restore("'+49 30 1234"), "+49 30 1234");
    assert_eq!(csv_records::restore("'@home"), "@home");
    assert_eq!(csv_records::restore("'plain"), "'plain", "a quote before anything else is data");
    assert_eq!(csv_records::restore("O'Brien"), "O'Brien");
    assert_eq!(csv_records::restore("'"), "'");
}

#[test]
fn a_header_names_a_column_by_name_label_or_a_known_alias() {
    assert_eq!(csv_records::header_column("email"), Some(Column::Email));
    assert_eq!(csv_records::header_column("  Email Address "), Some(Column::Email));
    assert_eq!(csv_records::header_column("Email Address [Required]"), Some(Column::Email));
    assert_eq!(csv_records::header_column("name.givenName"), Some(Column::FirstName));
    assert_eq!(csv_records::header_column("First Name"), Some(Column::FirstName));
    assert_eq!(csv_records::header_column("RBAC Role"), Some(Column::Role));
    assert_eq!(csv_records::header_column("shoe size"), None);
}
