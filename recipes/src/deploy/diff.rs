//! The diff and the scheduler's dry run printed the way `nomad job plan` prints them
//! (Nomad's `command/job_plan.go`, without colours): `+` added, `-` deleted, `+/-` edited,
//! unchanged fields of an edited object shown for context, names and values aligned, each
//! group with the scheduler's updates (`1 create`, `2 in-place update`, `1 canary`...), each
//! task with its annotations (`forces create/destroy update`).

use crate::ports::{Change, FieldChange, GroupChange, JobChange, JobPlan, ObjectChange, TaskChange};

/// The marker of a change and its width (`nomad job plan`'s `getDiffString`).
fn marker(change: Change) -> (&'static str, usize) {
    match change {
        Change::Added => ("+ ", 2),
        Change::Deleted => ("- ", 2),
        Change::Edited => ("+/- ", 4),
        Change::None => ("", 0),
    }
}

fn width(change: Change) -> usize {
    marker(change).1
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// `text` quoted as Go's `%q` quotes it (the values `nomad job plan` prints).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The longest field name and the widest marker among fields and objects.
fn longest(fields: &[FieldChange], objects: &[ObjectChange]) -> (usize, usize) {
    let name = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mark = fields.iter().map(|f| width(f.change)).chain(objects.iter().map(|o| width(o.change))).max().unwrap_or(0);
    (name, mark)
}

fn field(f: &FieldChange, start: usize, key_pad: usize, value_pad: usize) -> String {
    let value = match f.change {
        Change::Added => quote(&f.new),
        Change::Deleted => quote(&f.old),
        Change::Edited => format!("{} => {}", quote(&f.old), quote(&f.new)),
        Change::None => quote(&f.new),
    };
    let mut out =
        format!("{}{}{}{}: {}{value}", spaces(start), marker(f.change).0, spaces(key_pad), f.name, spaces(value_pad));
    if !f.annotations.is_empty() {
        out.push_str(&format!(" ({})", f.annotations.join(", ")));
    }
    out
}

fn object(o: &ObjectChange, start: usize, key_pad: usize) -> String {
    let (mark, mark_width) = marker(o.change);
    let (name, widest) = longest(&o.fields, &o.objects);
    let inner = aligned(&o.fields, &o.objects, start + key_pad + 2, name, widest);
    format!(
        "{}{mark}{}{} {{\n{inner}\n{}}}",
        spaces(start),
        spaces(key_pad),
        o.name,
        spaces(start + mark_width + key_pad)
    )
}

/// Fields then objects, one a line, names and values aligned, no newline after the last.
fn aligned(fields: &[FieldChange], objects: &[ObjectChange], start: usize, name: usize, widest: usize) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        out.push_str(&field(f, start, widest - width(f.change), name - f.name.len()));
        if i + 1 != fields.len() || !objects.is_empty() {
            out.push('\n');
        }
    }
    for (i, o) in objects.iter().enumerate() {
        out.push_str(&object(o, start, widest - width(o.change)));
        if i + 1 != objects.len() {
            out.push('\n');
        }
    }
    out
}

fn task(t: &TaskChange, start: usize, pad: usize) -> String {
    let mut out = format!("{}{}{}Task: {}", spaces(start), marker(t.change).0, spaces(pad), quote(&t.name));
    if !t.annotations.is_empty() {
        out.push_str(&format!(" ({})", t.annotations.join(", ")));
    }
    // An added or deleted task is one line; an edited one shows what changed in it.
    if t.change != Change::Edited {
        return out;
    }
    out.push('\n');
    let (name, widest) = longest(&t.fields, &t.objects);
    out.push_str(&aligned(&t.fields, &t.objects, start + 2, name, widest));
    out
}

fn group(g: &GroupChange, pad: usize) -> String {
    let mut out = format!("{}{}Task Group: {}", marker(g.change).0, spaces(pad), quote(&g.name));
    if g.updates.is_empty() {
        out.push('\n');
    } else {
        let updates: Vec<String> = g.updates.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        out.push_str(&format!(" ({})\n", updates.join(", ")));
    }
    let (name, widest) = longest(&g.fields, &g.objects);
    let widest = g.tasks.iter().map(|t| width(t.change)).fold(widest, usize::max);
    let start = pad + 2;
    if g.change == Change::Edited {
        let inner = aligned(&g.fields, &g.objects, start, name, widest);
        if !inner.is_empty() {
            out.push_str(&inner);
            out.push('\n');
        }
    }
    for t in &g.tasks {
        out.push_str(&task(t, start, widest - width(t.change)));
        out.push('\n');
    }
    out
}

/// The diff as `nomad job plan` prints it (trimmed, no trailing newline).
#[must_use]
pub fn render_diff(diff: &JobChange) -> String {
    let mut out = format!("{}Job: {}\n", marker(diff.change).0, quote(&diff.id));
    let (name, widest) = longest(&diff.fields, &diff.objects);
    let widest = diff.groups.iter().map(|g| width(g.change)).fold(widest, usize::max);
    if diff.change == Change::Edited {
        let inner = aligned(&diff.fields, &diff.objects, 0, name, widest);
        if !inner.is_empty() {
            out.push_str(&inner);
            out.push('\n');
        }
    }
    for g in &diff.groups {
        out.push_str(&group(g, widest - width(g.change)));
        out.push('\n');
    }
    out.trim().to_owned()
}

/// The scheduler's dry run as `nomad job plan` prints it under `Scheduler dry-run:`:
/// every allocation placed, or each group that cannot be placed with its reasons.
/// `system` words it for a system job (placement on every node).
#[must_use]
pub fn render_dry_run(plan: &JobPlan, system: bool) -> String {
    if plan.failed.is_empty() {
        return "- All tasks successfully allocated.".to_owned();
    }
    let mut out = if system {
        "- WARNING: Failed to place allocations on all nodes.\n".to_owned()
    } else {
        "- WARNING: Failed to place all allocations.\n".to_owned()
    };
    let groups: Vec<String> = plan
        .failed
        .iter()
        .map(|f| {
            let noun = if f.allocations == 1 { "allocation" } else { "allocations" };
            let mut text = format!("  Task Group {} (failed to place {} {noun}):", quote(&f.group), f.allocations);
            for reason in &f.reasons {
                text.push_str(&format!("\n    * {reason}"));
            }
            text
        })
        .collect();
    out.push_str(&groups.join("\n\n"));
    out
}

/// The whole of what `nomad job plan` prints for `plan`: the diff, the scheduler's dry run,
/// the warnings and the job modify index the registration will enforce.
#[must_use]
pub fn render_plan(plan: &JobPlan, system: bool) -> String {
    let mut out = format!("{}\n\nScheduler dry-run:\n{}\n", render_diff(&plan.diff), render_dry_run(plan, system));
    if !plan.warnings.is_empty() {
        out.push_str(&format!("\nJob Warnings:\n{}\n", plan.warnings.join("\n")));
    }
    out.push_str(&format!(
        "\nJob Modify Index: {}\n(the registration enforces it: a change to the job after this plan makes it refuse)\n",
        plan.job_modify_index
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(change: Change, name: &str, old: &str, new: &str) -> FieldChange {
        FieldChange { change, name: name.into(), old: old.into(), new: new.into(), annotations: Vec::new() }
    }

    #[test]
    fn names_values_and_markers_align_as_nomad_aligns_them() {
        let diff = JobChange {
            change: Change::Edited,
            id: "web".into(),
            fields: vec![f(Change::Edited, "Meta[revision]", "2", "3")],
            objects: Vec::new(),
            groups: vec![GroupChange {
                change: Change::Edited,
                name: "cache".into(),
                fields: vec![f(Change::Edited, "Count", "1", "2")],
                objects: Vec::new(),
                tasks: vec![
                    TaskChange {
                        change: Change::Edited,
                        name: "redis".into(),
                        fields: Vec::new(),
                        objects: vec![ObjectChange {
                            change: Change::Edited,
                            name: "Resources".into(),
                            fields: vec![
                                f(Change::None, "CPU", "100", "100"),
                                f(Change::Edited, "MemoryMB", "64", "128"),
                            ],
                            objects: Vec::new(),
                        }],
                        annotations: vec!["forces create/destroy update".into()],
                    },
                    TaskChange { change: Change::Added, name: "sidecar".into(), ..TaskChange::default() },
                ],
                updates: [("create".to_owned(), 1), ("create/destroy update".to_owned(), 1)].into(),
            }],
        };
        // Worked out by hand from job_plan.go: the job's marker width is 4 (+/-), so the
        // group needs no pad; inside the task, `+/- ` is 4 wide and an unchanged field gets
        // 4 spaces; values align on the longest name (MemoryMB, 8).
        let want = "+/- Job: \"web\"\n\
                    +/- Meta[revision]: \"2\" => \"3\"\n\
                    +/- Task Group: \"cache\" (1 create, 1 create/destroy update)\n  \
                    +/- Count: \"1\" => \"2\"\n  \
                    +/- Task: \"redis\" (forces create/destroy update)\n    \
                    +/- Resources {\n          \
                    CPU:      \"100\"\n      \
                    +/- MemoryMB: \"64\" => \"128\"\n        \
                    }\n  \
                    +   Task: \"sidecar\"";
        assert_eq!(render_diff(&diff), want);
    }

    #[test]
    fn values_are_quoted_as_go_quotes_them() {
        assert_eq!(quote("a \"b\"\n\tc\u{1}"), r#""a \"b\"\n\tc\x01""#);
        assert_eq!(quote("café"), "\"café\"");
    }
}
