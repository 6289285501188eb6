//! The order status machine: which moves are allowed and what each move does to stock.

use crate::error::{AppError, msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Recibido,
    Confirmado,
    EnPreparacion,
    Listo,
    EnCamino,
    Entregado,
    Cancelado,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Recibido,
        Status::Confirmado,
        Status::EnPreparacion,
        Status::Listo,
        Status::EnCamino,
        Status::Entregado,
        Status::Cancelado,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Recibido => "recibido",
            Status::Confirmado => "confirmado",
            Status::EnPreparacion => "en_preparacion",
            Status::Listo => "listo",
            Status::EnCamino => "en_camino",
            Status::Entregado => "entregado",
            Status::Cancelado => "cancelado",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Spanish label for screens and customer notifications.
    pub fn label(self) -> &'static str {
        match self {
            Status::Recibido => "Recibido",
            Status::Confirmado => "Confirmado",
            Status::EnPreparacion => "En preparación",
            Status::Listo => "Listo",
            Status::EnCamino => "En camino",
            Status::Entregado => "Entregado",
            Status::Cancelado => "Cancelado",
        }
    }

    /// The statuses reachable from this one. `listo → entregado` covers pick-up at the
    /// counter, where there is no delivery leg.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Recibido => &[Confirmado, Cancelado],
            Confirmado => &[EnPreparacion, Cancelado],
            EnPreparacion => &[Listo, Cancelado],
            Listo => &[EnCamino, Entregado, Cancelado],
            EnCamino => &[Entregado, Cancelado],
            Entregado | Cancelado => &[],
        }
    }

    /// True once stock has been taken for the order (it was confirmed).
    pub fn holds_stock(self) -> bool {
        !matches!(self, Status::Recibido | Status::Cancelado)
    }

    /// Checks a move, naming the allowed ones when it is illegal.
    pub fn check_move(self, to: Status) -> Result<(), AppError> {
        if self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<String> = self.next().iter().map(|s| s.as_str().to_string()).collect();
        let list = if allowed.is_empty() {
            "ninguno / none".to_string()
        } else {
            allowed.join(", ")
        };
        Err(AppError::Conflict {
            message: msg(
                format!(
                    "No se puede pasar de {} a {}. Permitidos: {list}.",
                    self.as_str(),
                    to.as_str()
                ),
                format!(
                    "Cannot move from {} to {}. Allowed: {list}.",
                    self.as_str(),
                    to.as_str()
                ),
            ),
            existing_id: None,
            allowed: Some(allowed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path_and_cancel_rules() {
        use Status::*;
        let path = [
            Recibido,
            Confirmado,
            EnPreparacion,
            Listo,
            EnCamino,
            Entregado,
        ];
        for w in path.windows(2) {
            assert!(w[0].check_move(w[1]).is_ok(), "{:?} -> {:?}", w[0], w[1]);
        }
        for s in [Recibido, Confirmado, EnPreparacion, Listo, EnCamino] {
            assert!(s.check_move(Cancelado).is_ok());
        }
        assert!(Entregado.check_move(Cancelado).is_err());
        assert!(Cancelado.check_move(Recibido).is_err());
        let AppError::Conflict { allowed, .. } = Recibido.check_move(Entregado).unwrap_err() else {
            panic!()
        };
        assert_eq!(allowed.unwrap(), ["confirmado", "cancelado"]);
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("ENTREGADO"), None);
    }
}
