//! A `patronictl list`-like table of the cluster.

use std::fmt::Write as _;

use crate::cluster::{ClusterInfo, ClusterMember};
use crate::vocab::Role;

/// Renders the cluster like `patronictl list`:
///
/// ```text
/// + Cluster: demo (7710851854280831279) ----+----+-----------+
/// | Member | Host           | Role    | State     | TL | Lag in MB |
/// +--------+----------------+---------+-----------+----+-----------+
/// | dbHA1  | 127.0.0.1:5431 | Replica | streaming |  2 |         0 |
/// | dbHA2  | 127.0.0.1:5432 | Leader  | running   |  2 |           |
/// +--------+----------------+---------+-----------+----+-----------+
/// ```
///
/// `system_id` is PostgreSQL's system identifier when known (the DCS
/// `initialize` key or `database_system_identifier` of `/patroni`).
#[must_use]
pub fn render_table(scope: &str, system_id: Option<&str>, cluster: &ClusterInfo) -> String {
    let header = ["Member", "Host", "Role", "State", "TL", "Lag in MB"];
    let rows: Vec<[String; 6]> = cluster.members.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+";
    let mut title = format!("+ Cluster: {scope}");
    if let Some(id) = system_id {
        let _ = write!(title, " ({id})");
    }
    title.push(' ');
    if cluster.pause {
        title.push_str("[paused] ");
    }
    let mut out = String::new();
    // The title overwrites the start of the rule, as patronictl does.
    let title_len = title.chars().count();
    let rest: String = rule.chars().skip(title_len).collect();
    let _ = writeln!(out, "{title}{}", if rest.is_empty() { "+".to_owned() } else { rest });
    line(&mut out, &header.map(str::to_owned), &widths);
    let _ = writeln!(out, "{rule}");
    for r in &rows {
        line(&mut out, r, &widths);
    }
    let _ = writeln!(out, "{rule}");
    if let Some(s) = &cluster.scheduled_switchover {
        let _ = writeln!(
            out,
            " Switchover scheduled at: {} (from {} to {})",
            s.at,
            s.from.as_deref().unwrap_or("leader"),
            s.to.as_deref().unwrap_or("best candidate")
        );
    }
    out
}

fn line(out: &mut String, cells: &[String; 6], widths: &[usize; 6]) {
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        // Numbers are right-aligned (TL, lag), text left-aligned.
        if i >= 4 {
            let _ = write!(out, "| {cell:>w$} ");
        } else {
            let _ = write!(out, "| {cell:<w$} ");
        }
    }
    out.push_str("|\n");
}

fn row(m: &ClusterMember) -> [String; 6] {
    let host = match (&m.host, m.port) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.clone(),
        _ => String::new(),
    };
    let role = match &m.role {
        Role::Leader | Role::Primary => "Leader".to_owned(),
        Role::StandbyLeader => "Standby Leader".to_owned(),
        Role::SyncStandby => "Sync Standby".to_owned(),
        Role::QuorumStandby => "Quorum Standby".to_owned(),
        Role::Replica => "Replica".to_owned(),
        other => other.to_string(),
    };
    let lag = match &m.lag {
        Some(lag) => lag.bytes().map_or_else(|| lag.to_string(), |b| (b / (1024 * 1024)).to_string()),
        None => String::new(),
    };
    [m.name.clone(), host, role, m.state.to_string(), m.timeline.map(|t| t.to_string()).unwrap_or_default(), lag]
}
