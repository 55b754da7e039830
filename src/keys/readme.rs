//! README's key tables, generated from the binding table (a test keeps README equal to this),
//! one table per `[keys.<section>]`, so the README doubles as the remapping reference.

use std::fmt::Write as _;

use super::commands::COMMANDS;
use super::mode::Scope;
use super::table::Keymap;

/// The lines README holds between its `keys:begin` and `keys:end` markers.
pub fn markdown(keymap: &Keymap) -> String {
    let mut out = String::new();
    for scope in Scope::ALL {
        let rows: Vec<_> = keymap
            .bindings()
            .iter()
            .filter(|binding| binding.scope == scope)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "`[keys.{}]`\n", scope.name());
        out.push_str("| Keys | Action | |\n|---|---|---|\n");
        for binding in rows {
            let keys = binding
                .keys
                .iter()
                .map(|key| format!("`{}`", key.to_string().replace('|', "\\|")))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(
                out,
                "| {keys} | `{}` | {} |",
                binding.action.name(),
                binding.help
            );
        }
        out.push('\n');
    }
    out.push_str("Commands (after `:`, Tab completes)\n\n| Command | Names | |\n|---|---|---|\n");
    for command in COMMANDS {
        let names = std::iter::once(command.name)
            .chain(command.alias)
            .map(|name| format!("`:{name}`"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(out, "| `{}` | {names} | {} |", command.usage, command.help);
    }
    out
}
