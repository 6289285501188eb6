//! `autonomo user create|passwd|list|disable|enable`: staff accounts from the command line.
//! Passwords are read from stdin (one line) or asked for at a prompt, never from flags.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;

use super::{NewUser, Role};
use crate::tenants::{Registry, Slug};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from stdin or a prompt.
    Create {
        #[arg(long)]
        email: String,
        /// owner (every brand), manager, staff or analyst.
        #[arg(long, value_parser = ["owner", "manager", "staff", "analyst"])]
        role: String,
        /// A brand the person works in (repeat for several; not for owners).
        #[arg(long = "tenant", value_name = "SLUG")]
        tenants: Vec<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// es or en.
        #[arg(long, default_value = "es")]
        lang: String,
    },
    /// Set a new password (read from stdin or a prompt); ends the account's sessions.
    Passwd {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        eprint!("Contraseña / password: ");
        std::io::stderr().flush()?;
        // Hide what is typed where a terminal allows it.
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if interactive {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("falta la contraseña en stdin / no password on stdin");
    }
    Ok(password)
}

async fn find(registry: &Registry, email: &str) -> anyhow::Result<super::User> {
    super::find_by_email(registry.control(), email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no existe la cuenta / no such account: {email}"))
}

pub async fn run(registry: &Registry, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            email,
            role,
            tenants,
            name,
            lang,
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("role"))?;
            let brands = tenants
                .iter()
                .map(|t| Slug::parse(t))
                .collect::<Result<Vec<_>, _>>()?;
            if role == Role::Owner && !brands.is_empty() {
                anyhow::bail!(
                    "un owner ve todas las marcas; quita --tenant / an owner sees every brand; drop --tenant"
                );
            }
            let password = read_password()?;
            let user = super::create(
                registry.control(),
                NewUser {
                    email,
                    name,
                    role,
                    brands,
                    password,
                    lang,
                },
            )
            .await?;
            println!(
                "Cuenta creada / account created: {} ({})",
                user.email,
                user.role.as_str()
            );
        }
        UserCommand::Passwd { email } => {
            let user = find(registry, &email).await?;
            let password = read_password()?;
            super::set_password(registry.control(), user.id, password).await?;
            println!("Contraseña cambiada / password changed: {}", user.email);
        }
        UserCommand::List => {
            for u in super::list(registry.control(), None).await? {
                let brands: Vec<&str> = u.brands.iter().map(Slug::as_str).collect();
                let reach = if u.role == Role::Owner {
                    "*".to_string()
                } else {
                    brands.join(",")
                };
                let state = if u.active {
                    ""
                } else {
                    "\t(desactivada / disabled)"
                };
                println!("{}\t{}\t{reach}{state}", u.email, u.role.as_str());
            }
        }
        UserCommand::Disable { email } => {
            let user = find(registry, &email).await?;
            super::set_active(registry.control(), user.id, false).await?;
            println!("Desactivada / disabled: {}", user.email);
        }
        UserCommand::Enable { email } => {
            let user = find(registry, &email).await?;
            super::set_active(registry.control(), user.id, true).await?;
            println!("Activada / enabled: {}", user.email);
        }
    }
    Ok(())
}
