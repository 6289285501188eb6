//! The words of the UI in Spanish (the default) and English. Templates write Spanish and
//! call `t("Texto")`; coded keys (`canal_whatsapp`, `rol_staff`, …) name values stored in
//! the database. A test checks every `t(...)` in the templates has an entry here.

use std::collections::HashMap;
use std::sync::OnceLock;

use minijinja::State;

/// Translates `key` into `lang` ("es" or "en"); an unknown key is shown as written.
pub fn tr(lang: &str, key: &str) -> String {
    static MAP: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    let map = MAP.get_or_init(|| TABLE.iter().map(|(k, es, en)| (*k, (*es, *en))).collect());
    match map.get(key) {
        Some((es, en)) => if lang == "en" { en } else { es }.to_string(),
        None => key.to_string(),
    }
}

/// The `t()` template function: the language comes from the page's `lang` variable.
pub fn t_function(state: &State, key: &str) -> String {
    let lang = state.lookup("lang");
    tr(lang.as_ref().and_then(|l| l.as_str()).unwrap_or("es"), key)
}

/// (key, Spanish, English).
static TABLE: &[(&str, &str, &str)] = &[
    ("Acciones", "Acciones", "Actions"),
    ("Acepta", "Acepta", "Accepts"),
    ("Acepta marketing", "Acepta marketing", "Accepts marketing"),
    (
        "Acepta recibir promociones",
        "Acepta recibir promociones",
        "Agrees to receive promotions",
    ),
    ("Activar", "Activar", "Enable"),
    ("Activo", "Activo", "Active"),
    ("Actualizados", "Actualizados", "Updated"),
    ("Ajustes", "Ajustes", "Settings"),
    (
        "Alertas e informes para el dueño. Próximamente.",
        "Alertas e informes para el dueño. Próximamente.",
        "Alerts and reports for the owner. Coming soon.",
    ),
    ("Archivo CSV", "Archivo CSV", "CSV file"),
    (
        "Aviso firmado a cocina o almacén en cada cambio de estado. Próximamente.",
        "Aviso firmado a cocina o almacén en cada cambio de estado. Próximamente.",
        "Signed notice to kitchen or warehouse on every status change. Coming soon.",
    ),
    (
        "Añade el primero abajo o importa un CSV.",
        "Añade el primero abajo o importa un CSV.",
        "Add the first one below or import a CSV.",
    ),
    ("Añade productos", "Añade productos", "Add products"),
    (
        "Añade productos con + o escribe la cantidad.",
        "Añade productos con + o escribe la cantidad.",
        "Add products with + or type the quantity.",
    ),
    ("Añadir nota", "Añadir nota", "Add note"),
    ("Añadir persona", "Añadir persona", "Add person"),
    ("Añadir producto", "Añadir producto", "Add product"),
    ("Añadir uno de", "Añadir uno de", "Add one"),
    (
        "Aún no hay clientes que coincidan.",
        "Aún no hay clientes que coincidan.",
        "No customers match yet.",
    ),
    ("Aún no hay marcas", "Aún no hay marcas", "No brands yet"),
    (
        "Aún no hay pedidos hoy.",
        "Aún no hay pedidos hoy.",
        "No orders yet today.",
    ),
    (
        "Aún no hay ventas hoy.",
        "Aún no hay ventas hoy.",
        "No sales yet today.",
    ),
    (
        "Busca por otro nombre, teléfono o correo.",
        "Busca por otro nombre, teléfono o correo.",
        "Search by another name, phone or e-mail.",
    ),
    ("Buscar", "Buscar", "Search"),
    ("Buscar clientes", "Buscar clientes", "Search customers"),
    (
        "Buscar el duplicado",
        "Buscar el duplicado",
        "Find the duplicate",
    ),
    (
        "Buscar el duplicado por nombre, teléfono o correo…",
        "Buscar el duplicado por nombre, teléfono o correo…",
        "Find the duplicate by name, phone or e-mail…",
    ),
    (
        "Buscar por nombre, teléfono, correo o notas…",
        "Buscar por nombre, teléfono, correo o notas…",
        "Search by name, phone, e-mail or notes…",
    ),
    ("Buscar producto", "Buscar producto", "Search products"),
    (
        "Buscar producto o SKU…",
        "Buscar producto o SKU…",
        "Search product or SKU…",
    ),
    (
        "Cambiar contraseña",
        "Cambiar contraseña",
        "Change password",
    ),
    ("Cambiar de marca", "Cambiar de marca", "Switch brand"),
    ("Cambios guardados.", "Cambios guardados.", "Changes saved."),
    ("Canal", "Canal", "Channel"),
    ("Cancelado", "Cancelado", "Cancelled"),
    ("Cancelar", "Cancelar", "Cancel"),
    ("Cancelar pedido", "Cancelar pedido", "Cancel order"),
    ("Categoría", "Categoría", "Category"),
    ("Categorías", "Categorías", "Categories"),
    ("Catálogo", "Catálogo", "Catalogue"),
    ("Cerrar sesión", "Cerrar sesión", "Log out"),
    ("Cliente", "Cliente", "Customer"),
    ("Cliente creado.", "Cliente creado.", "Customer created."),
    ("Cliente desde", "Cliente desde", "Customer since"),
    ("Cliente nuevo", "Cliente nuevo", "New customer"),
    (
        "Cliente nuevo con este nombre",
        "Cliente nuevo con este nombre",
        "New customer with this name",
    ),
    (
        "Cliente: teléfono o nombre",
        "Cliente: teléfono o nombre",
        "Customer: phone or name",
    ),
    ("Clientes", "Clientes", "Customers"),
    (
        "Clientes fusionados.",
        "Clientes fusionados.",
        "Customers merged.",
    ),
    (
        "Clientes nuevos hoy",
        "Clientes nuevos hoy",
        "New customers today",
    ),
    ("Cocina", "Cocina", "Kitchen"),
    ("Columnas", "Columnas", "Columns"),
    (
        "Columnas: sku, nombre, categoria, precio, stock, activo. Los SKU existentes se actualizan; los nuevos se crean.",
        "Columnas: sku, nombre, categoria, precio, stock, activo. Los SKU existentes se actualizan; los nuevos se crean.",
        "Columns: sku, nombre (name), categoria (category), precio (price), stock, activo (active). Existing SKUs are updated; new ones are created.",
    ),
    ("Con errores", "Con errores", "With errors"),
    ("Confirmado", "Confirmado", "Confirmed"),
    ("Confirmar pedido", "Confirmar pedido", "Confirm order"),
    ("Consentimiento", "Consentimiento", "Consent"),
    ("Contacto", "Contacto", "Contact"),
    ("Contraseña", "Contraseña", "Password"),
    (
        "Contraseña cambiada; sus sesiones se cerraron.",
        "Contraseña cambiada; sus sesiones se cerraron.",
        "Password changed; their sessions were ended.",
    ),
    (
        "Contraseña inicial",
        "Contraseña inicial",
        "Initial password",
    ),
    (
        "Copia continua compatible con Litestream. Próximamente.",
        "Copia continua compatible con Litestream. Próximamente.",
        "Continuous Litestream-compatible backup. Coming soon.",
    ),
    ("Copias en S3", "Copias en S3", "S3 backups"),
    ("Correo", "Correo", "E-mail"),
    ("Correo (SMTP)", "Correo (SMTP)", "E-mail (SMTP)"),
    ("Correo electrónico", "Correo electrónico", "E-mail"),
    (
        "Correo o contraseña incorrectos.",
        "Correo o contraseña incorrectos.",
        "Wrong e-mail or password.",
    ),
    ("Creados", "Creados", "Created"),
    ("Crear cuenta", "Crear cuenta", "Create account"),
    (
        "Cuenta actualizada.",
        "Cuenta actualizada.",
        "Account updated.",
    ),
    ("Cuenta creada.", "Cuenta creada.", "Account created."),
    (
        "Cuentas con acceso a esta marca",
        "Cuentas con acceso a esta marca",
        "Accounts with access to this brand",
    ),
    ("Datos de la marca", "Datos de la marca", "Brand details"),
    (
        "Datos de la marca guardados.",
        "Datos de la marca guardados.",
        "Brand details saved.",
    ),
    ("Desactivar", "Desactivar", "Disable"),
    ("Descuento", "Descuento", "Discount"),
    ("Detalle", "Detalle", "Detail"),
    ("Dirección", "Dirección", "Address"),
    (
        "Duplicados omitidos",
        "Duplicados omitidos",
        "Duplicates skipped",
    ),
    ("Editar", "Editar", "Edit"),
    ("Editar cliente", "Editar cliente", "Edit customer"),
    (
        "El catálogo está vacío",
        "El catálogo está vacío",
        "The catalogue is empty",
    ),
    (
        "Elige el duplicado",
        "Elige el duplicado",
        "Pick the duplicate",
    ),
    ("En camino", "En camino", "On the way"),
    ("En preparación", "En preparación", "Preparing"),
    ("En vivo", "En vivo", "Live"),
    (
        "Entra con la cuenta que te dio tu encargado.",
        "Entra con la cuenta que te dio tu encargado.",
        "Sign in with the account your manager gave you.",
    ),
    ("Entrar", "Entrar", "Sign in"),
    ("Entregado", "Entregado", "Delivered"),
    ("Equipo", "Equipo", "Team"),
    (
        "Ese teléfono no es válido.",
        "Ese teléfono no es válido.",
        "That phone number is not valid.",
    ),
    (
        "Espejo para NocoDB y Metabase. Próximamente.",
        "Espejo para NocoDB y Metabase. Próximamente.",
        "Mirror for NocoDB and Metabase. Coming soon.",
    ),
    ("Estado", "Estado", "Status"),
    ("Etiqueta", "Etiqueta", "Tag"),
    ("Etiquetas", "Etiquetas", "Tags"),
    ("Exportar CSV", "Exportar CSV", "Export CSV"),
    ("Filtrar", "Filtrar", "Filter"),
    (
        "Fusionar duplicado",
        "Fusionar duplicado",
        "Merge duplicate",
    ),
    ("Fusionar en", "Fusionar en", "Merge into"),
    ("Gastado", "Gastado", "Spent"),
    ("Gestionar", "Gestionar", "Manage"),
    ("Guardado", "Guardado", "Saved"),
    ("Guardar", "Guardar", "Save"),
    ("Guardar nota", "Guardar nota", "Save note"),
    ("Historial", "Historial", "History"),
    ("Idioma", "Idioma", "Language"),
    ("Idioma de la marca", "Idioma de la marca", "Brand language"),
    ("Importar", "Importar", "Import"),
    ("Importar CSV", "Importar CSV", "Import CSV"),
    ("Importar clientes", "Importar clientes", "Import customers"),
    (
        "Importar productos",
        "Importar productos",
        "Import products",
    ),
    ("Imprimir ticket", "Imprimir ticket", "Print ticket"),
    (
        "Informe de importación",
        "Informe de importación",
        "Import report",
    ),
    (
        "Informes programados por correo. Próximamente.",
        "Informes programados por correo. Próximamente.",
        "Scheduled reports by e-mail. Coming soon.",
    ),
    ("Iniciar sesión", "Iniciar sesión", "Sign in"),
    ("Inicio", "Inicio", "Home"),
    ("Integraciones", "Integraciones", "Integrations"),
    ("Listo", "Listo", "Ready"),
    (
        "Llamó para preguntar por…",
        "Llamó para preguntar por…",
        "Called to ask about…",
    ),
    (
        "Los pedidos confirmados aparecerán aquí al instante.",
        "Los pedidos confirmados aparecerán aquí al instante.",
        "Confirmed orders will show up here instantly.",
    ),
    (
        "Los pedidos e interacciones del duplicado pasan a este cliente y el duplicado se elimina. Los datos que falten se completan con los del duplicado.",
        "Los pedidos e interacciones del duplicado pasan a este cliente y el duplicado se elimina. Los datos que falten se completan con los del duplicado.",
        "The duplicate's orders and interactions move to this customer and the duplicate is deleted. Missing details are filled in from the duplicate.",
    ),
    ("Línea", "Línea", "Line"),
    ("Líneas del pedido", "Líneas del pedido", "Order lines"),
    ("Marketing", "Marketing", "Marketing"),
    ("Moneda", "Moneda", "Currency"),
    ("Mostrador", "Mostrador", "Counter"),
    ("Más resultados", "Más resultados", "More results"),
    ("Más vendidos hoy", "Más vendidos hoy", "Best sellers today"),
    (
        "Mínimo 10 caracteres.",
        "Mínimo 10 caracteres.",
        "At least 10 characters.",
    ),
    ("NUEVO", "NUEVO", "NEW"),
    ("Nada por aquí", "Nada por aquí", "Nothing here"),
    (
        "Navegación principal",
        "Navegación principal",
        "Main navigation",
    ),
    ("No", "No", "No"),
    ("No acepta", "No acepta", "Does not accept"),
    (
        "No se pudo crear el pedido:",
        "No se pudo crear el pedido:",
        "The order could not be created:",
    ),
    ("Nombre", "Nombre", "Name"),
    (
        "Nombre del cliente nuevo",
        "Nombre del cliente nuevo",
        "New customer's name",
    ),
    ("Nota añadida.", "Nota añadida.", "Note added."),
    ("Notas", "Notas", "Notes"),
    ("Nueva contraseña", "Nueva contraseña", "New password"),
    ("Nuevo cliente", "Nuevo cliente", "New customer"),
    ("Nuevo pedido", "Nuevo pedido", "New order"),
    ("Nuevo producto", "Nuevo producto", "New product"),
    ("Otro archivo", "Otro archivo", "Another file"),
    ("País", "País", "Country"),
    ("Pedido", "Pedido", "Order"),
    ("Pedido confirmado", "Pedido confirmado", "Order confirmed"),
    ("Pedidos", "Pedidos", "Orders"),
    ("Pedidos abiertos", "Pedidos abiertos", "Open orders"),
    (
        "Pedidos por canal",
        "Pedidos por canal",
        "Orders by channel",
    ),
    (
        "Pedidos y mensajes por WhatsApp. Próximamente.",
        "Pedidos y mensajes por WhatsApp. Próximamente.",
        "Orders and messages over WhatsApp. Coming soon.",
    ),
    ("Persona", "Persona", "Person"),
    ("Precio", "Precio", "Price"),
    ("Precio de", "Precio de", "Price of"),
    ("Primeras filas", "Primeras filas", "First rows"),
    ("Producto", "Producto", "Product"),
    ("Producto creado.", "Producto creado.", "Product created."),
    ("Productos", "Productos", "Products"),
    (
        "Prueba con otra búsqueda o quita filtros.",
        "Prueba con otra búsqueda o quita filtros.",
        "Try another search or remove filters.",
    ),
    ("Quitar uno de", "Quitar uno de", "Remove one"),
    ("Recibido", "Recibido", "Received"),
    ("Resultado", "Resultado", "Result"),
    ("Resultado por fila", "Resultado por fila", "Result per row"),
    ("Resumen", "Resumen", "Summary"),
    ("Resumen de hoy", "Resumen de hoy", "Today's summary"),
    (
        "Revisa los campos marcados.",
        "Revisa los campos marcados.",
        "Check the highlighted fields.",
    ),
    ("Rol", "Rol", "Role"),
    (
        "Saltar al contenido",
        "Saltar al contenido",
        "Skip to content",
    ),
    ("Se conserva", "Se conserva", "Keeping"),
    (
        "Se creará un cliente nuevo con este nombre.",
        "Se creará un cliente nuevo con este nombre.",
        "A new customer will be created with this name.",
    ),
    (
        "Se evitan duplicados: si el teléfono o el correo ya existen, la fila se omite y se indica en el informe.",
        "Se evitan duplicados: si el teléfono o el correo ya existen, la fila se omite y se indica en el informe.",
        "Duplicates are avoided: when the phone or e-mail already exists, the row is skipped and reported.",
    ),
    (
        "Se guarda en formato internacional.",
        "Se guarda en formato internacional.",
        "Stored in international format.",
    ),
    ("Segmento", "Segmento", "Segment"),
    (
        "Separadas por comas, p. ej. vip, oficina",
        "Separadas por comas, p. ej. vip, oficina",
        "Comma-separated, e.g. vip, office",
    ),
    ("Sin candidatos", "Sin candidatos", "No candidates"),
    ("Sin categoría", "Sin categoría", "No category"),
    (
        "Sin cebolla, dirección, hora de recogida…",
        "Sin cebolla, dirección, hora de recogida…",
        "No onion, address, pick-up time…",
    ),
    (
        "Sin pedidos en cocina",
        "Sin pedidos en cocina",
        "No orders in the kitchen",
    ),
    ("Sin productos", "Sin productos", "No products"),
    ("Sin resultados", "Sin resultados", "No results"),
    ("Stock", "Stock", "Stock"),
    ("Stock de", "Stock de", "Stock of"),
    (
        "Sube un CSV exportado de Excel, Google Sheets u otro sistema. Se aceptan UTF-8 y Windows-1252, separados por coma o punto y coma. Verás una vista previa antes de importar.",
        "Sube un CSV exportado de Excel, Google Sheets u otro sistema. Se aceptan UTF-8 y Windows-1252, separados por coma o punto y coma. Verás una vista previa antes de importar.",
        "Upload a CSV exported from Excel, Google Sheets or another system. UTF-8 and Windows-1252 are accepted, separated by commas or semicolons. You will see a preview before importing.",
    ),
    ("Subtotal", "Subtotal", "Subtotal"),
    ("Sí", "Sí", "Yes"),
    ("Tablero", "Tablero", "Board"),
    ("También llevan", "También llevan", "Also bought"),
    ("Teléfono", "Teléfono", "Phone"),
    ("Ticket", "Ticket", "Ticket"),
    ("Ticket medio", "Ticket medio", "Average ticket"),
    (
        "Todavía no hay pedidos ni interacciones.",
        "Todavía no hay pedidos ni interacciones.",
        "No orders or interactions yet.",
    ),
    ("Todo", "Todo", "All"),
    ("Todos", "Todos", "All"),
    ("Total", "Total", "Total"),
    ("Tu cuenta", "Tu cuenta", "Your account"),
    (
        "Tu cuenta no tiene ninguna marca asignada. Pide a tu encargado que te dé acceso, o crea una con «autonomo tenant create».",
        "Tu cuenta no tiene ninguna marca asignada. Pide a tu encargado que te dé acceso, o crea una con «autonomo tenant create».",
        "Your account has no brand assigned. Ask your manager for access, or create one with `autonomo tenant create`.",
    ),
    (
        "Vacío: venta de mostrador sin datos.",
        "Vacío: venta de mostrador sin datos.",
        "Empty: counter sale without details.",
    ),
    ("Ventas", "Ventas", "Sales"),
    ("Ver clientes", "Ver clientes", "See customers"),
    ("Ver productos", "Ver productos", "See products"),
    ("Ver ticket", "Ver ticket", "See ticket"),
    ("Ver vista previa", "Ver vista previa", "Preview"),
    ("Vista de cocina", "Vista de cocina", "Kitchen view"),
    ("Vista previa", "Vista previa", "Preview"),
    ("Volver al inicio", "Volver al inicio", "Back to start"),
    ("Zona horaria", "Zona horaria", "Time zone"),
    ("desactivada", "desactivada", "disabled"),
    ("filas", "filas", "rows"),
    (
        "p. ej. 987 654 321",
        "p. ej. 987 654 321",
        "e.g. 987 654 321",
    ),
    ("pedidos", "pedidos", "orders"),
    ("separador", "separador", "separator"),
    ("sin control", "sin control", "not tracked"),
    ("tú", "tú", "you"),
    ("¡Gracias!", "¡Gracias!", "Thank you!"),
    (
        "¿Cancelar este pedido? El stock se devuelve.",
        "¿Cancelar este pedido? El stock se devuelve.",
        "Cancel this order? Stock is given back.",
    ),
    ("¿Cómo llegó?", "¿Cómo llegó?", "How did they find us?"),
    (
        "¿Es alguno de estos?",
        "¿Es alguno de estos?",
        "Is it one of these?",
    ),
    (
        "¿Fusionar? Esta acción no se puede deshacer.",
        "¿Fusionar? Esta acción no se puede deshacer.",
        "Merge? This cannot be undone.",
    ),
    ("Último pedido", "Último pedido", "Last order"),
    ("— No importar —", "— No importar —", "— Do not import —"),
    ("rol_owner", "Dueño", "Owner"),
    ("rol_manager", "Encargado", "Manager"),
    ("rol_staff", "Personal", "Staff"),
    ("rol_analyst", "Analista", "Analyst"),
    ("canal_whatsapp", "WhatsApp", "WhatsApp"),
    ("canal_web", "Web", "Web"),
    ("canal_telefono", "Teléfono", "Phone"),
    ("canal_presencial", "Mostrador", "Counter"),
    ("canal_importacion", "Importación", "Import"),
    ("canal_otro", "Otro", "Other"),
    ("canal_email", "Correo", "E-mail"),
    ("canal_telegram", "Telegram", "Telegram"),
    ("canal_sistema", "Interno", "Internal"),
    ("seg_sin_compras", "Sin compras", "No purchases"),
    ("seg_nuevo", "Nuevo", "New"),
    ("seg_recurrente", "Recurrente", "Returning"),
    ("seg_vip", "VIP", "VIP"),
    ("seg_en_riesgo", "En riesgo", "At risk"),
    ("seg_perdido", "Perdido", "Lost"),
    ("estado_recibido", "Recibido", "Received"),
    ("estado_confirmado", "Confirmado", "Confirmed"),
    ("estado_en_preparacion", "En preparación", "Preparing"),
    ("estado_listo", "Listo", "Ready"),
    ("estado_en_camino", "En camino", "On the way"),
    ("estado_entregado", "Entregado", "Delivered"),
    ("estado_cancelado", "Cancelado", "Cancelled"),
    ("tipo_mensaje", "Mensaje", "Message"),
    ("tipo_llamada", "Llamada", "Call"),
    ("tipo_nota", "Nota", "Note"),
    ("tipo_encuesta", "Encuesta", "Survey"),
    ("tipo_estado_pedido", "Aviso de pedido", "Order update"),
    ("fila_creado", "Creado", "Created"),
    ("fila_duplicado", "Duplicado", "Duplicate"),
    ("fila_error", "Error", "Error"),
    ("fila_actualizado", "Actualizado", "Updated"),
    ("campo_nombre", "Nombre", "Name"),
    ("campo_telefono", "Teléfono", "Phone"),
    ("campo_email", "Correo", "E-mail"),
    ("campo_direccion", "Dirección", "Address"),
    ("campo_notas", "Notas", "Notes"),
    ("campo_etiquetas", "Etiquetas", "Tags"),
    (
        "campo_consentimiento",
        "Consentimiento de marketing",
        "Marketing consent",
    ),
    ("Campañas", "Campañas", "Campaigns"),
    ("Destinatarios", "Destinatarios", "Recipients"),
    ("Creada", "Creada", "Created"),
    (
        "Aún no hay campañas.",
        "Aún no hay campañas.",
        "No campaigns yet.",
    ),
    ("Nueva campaña", "Nueva campaña", "New campaign"),
    (
        "Solo clientes con consentimiento de marketing.",
        "Solo clientes con consentimiento de marketing.",
        "Only customers with marketing consent.",
    ),
    (
        "Último pedido antes de",
        "Último pedido antes de",
        "Last order before",
    ),
    (
        "Último pedido desde",
        "Último pedido desde",
        "Last order since",
    ),
    (
        "Compró producto (SKU)",
        "Compró producto (SKU)",
        "Bought product (SKU)",
    ),
    ("Compró categoría", "Compró categoría", "Bought category"),
    (
        "Plantilla aprobada",
        "Plantilla aprobada",
        "Approved template",
    ),
    (
        "Variable 1: nombre",
        "Variable 1: nombre",
        "Variable 1: name",
    ),
    (
        "Variable 2: último producto",
        "Variable 2: último producto",
        "Variable 2: last product",
    ),
    ("Envío", "Envío", "Sending"),
    ("Guardar borrador", "Guardar borrador", "Save draft"),
    ("Enviar ahora", "Enviar ahora", "Send now"),
    ("Programar", "Programar", "Schedule"),
    ("Fecha y hora", "Fecha y hora", "Date and time"),
    ("Crear campaña", "Crear campaña", "Create campaign"),
    (
        "clientes en la audiencia",
        "clientes en la audiencia",
        "customers in the audience",
    ),
    ("Embudo", "Embudo", "Funnel"),
    ("En cola", "En cola", "Queued"),
    ("Enviados", "Enviados", "Sent"),
    ("Entregados", "Entregados", "Delivered"),
    ("Leídos", "Leídos", "Read"),
    ("Respondieron", "Respondieron", "Replied"),
    (
        "Pidieron en 7 días",
        "Pidieron en 7 días",
        "Ordered within 7 days",
    ),
    ("Fallidos", "Fallidos", "Failed"),
    (
        "Pedidos atribuidos",
        "Pedidos atribuidos",
        "Attributed orders",
    ),
    (
        "Ingresos atribuidos",
        "Ingresos atribuidos",
        "Attributed revenue",
    ),
    ("Recordatorios", "Recordatorios", "Reminders"),
    ("Hecho", "Hecho", "Done"),
    ("Nada pendiente.", "Nada pendiente.", "Nothing pending."),
    ("Vencidos", "Vencidos", "Due"),
    ("Próximos", "Próximos", "Upcoming"),
    ("Nuevo recordatorio", "Nuevo recordatorio", "New reminder"),
    ("Qué hacer", "Qué hacer", "What to do"),
    (
        "Llamar, enviar cotización, revisar garantía…",
        "Llamar, enviar cotización, revisar garantía…",
        "Call back, send a quote, warranty check…",
    ),
    ("Cuándo", "Cuándo", "When"),
    ("Añadir recordatorio", "Añadir recordatorio", "Add reminder"),
    ("tipo_campana", "Campaña", "Campaign"),
    (
        "tipo_baja_marketing",
        "Baja de marketing",
        "Marketing opt-out",
    ),
    ("Automatizaciones", "Automatizaciones", "Automations"),
    (
        "auto_auto_en_riesgo",
        "Reenganche de clientes en riesgo",
        "Re-engage at-risk customers",
    ),
    (
        "auto_auto_perdido",
        "Recuperar clientes perdidos",
        "Win back lost customers",
    ),
    (
        "auto_auto_nuevo",
        "Bienvenida a clientes nuevos",
        "Welcome new customers",
    ),
    (
        "auto_encuesta",
        "Encuesta de satisfacción tras la entrega",
        "Satisfaction survey after delivery",
    ),
    ("Activa", "Activa", "On"),
    (
        "Minutos tras la entrega",
        "Minutos tras la entrega",
        "Minutes after delivery",
    ),
    // Inbox.
    ("Asignada a", "Asignada a", "Assigned to"),
    ("Asignarme", "Asignarme", "Assign to me"),
    ("Bandeja", "Bandeja", "Inbox"),
    ("Cerrada", "Cerrada", "Closed"),
    ("Cerrar", "Cerrar", "Close"),
    (
        "Configura una plantilla en Ajustes.",
        "Configura una plantilla en Ajustes.",
        "Set up a template in Settings.",
    ),
    ("Conversaciones", "Conversaciones", "Conversations"),
    ("Conversación", "Conversación", "Conversation"),
    ("Devolver al bot", "Devolver al bot", "Hand back to the bot"),
    (
        "Elige una conversación para leerla y responder.",
        "Elige una conversación para leerla y responder.",
        "Pick a conversation to read and answer it.",
    ),
    ("Enviar", "Enviar", "Send"),
    ("Enviar plantilla", "Enviar plantilla", "Send template"),
    (
        "Escribe una respuesta…",
        "Escribe una respuesta…",
        "Write a reply…",
    ),
    ("Filtro", "Filtro", "Filter"),
    ("Liberar", "Liberar", "Unassign"),
    ("Necesita atención", "Necesita atención", "Needs attention"),
    (
        "No hay conversaciones aquí.",
        "No hay conversaciones aquí.",
        "No conversations here.",
    ),
    (
        "Pasaron más de 24 horas desde el último mensaje del cliente: WhatsApp solo permite una plantilla aprobada.",
        "Pasaron más de 24 horas desde el último mensaje del cliente: WhatsApp solo permite una plantilla aprobada.",
        "More than 24 hours have passed since the customer's last message: WhatsApp only allows an approved template.",
    ),
    ("Reabrir", "Reabrir", "Reopen"),
    ("Respuesta", "Respuesta", "Reply"),
    ("Respuestas rápidas", "Respuestas rápidas", "Quick replies"),
    (
        "Sin mensajes todavía.",
        "Sin mensajes todavía.",
        "No messages yet.",
    ),
    ("Últimos pedidos", "Últimos pedidos", "Latest orders"),
    ("Todas", "Todas", "All"),
    ("No leídos", "No leídos", "Unread"),
    ("Necesitan atención", "Necesitan atención", "Need attention"),
    ("Asignadas a mí", "Asignadas a mí", "Assigned to me"),
    ("wa_pendiente", "en cola", "queued"),
    ("wa_sent", "enviado", "sent"),
    ("wa_delivered", "entregado", "delivered"),
    ("wa_read", "leído", "read"),
    ("wa_played", "reproducido", "played"),
    ("wa_failed", "fallido", "failed"),
    // Integrations on the settings page.
    ("Conectado", "Conectado", "Connected"),
    (
        "Sin configurar: autonomo whatsapp set --tenant",
        "Sin configurar: autonomo whatsapp set --tenant",
        "Not set up: autonomo whatsapp set --tenant",
    ),
    ("Al día", "Al día", "Up to date"),
    ("Atrasada", "Atrasada", "Behind"),
    ("Retraso", "Retraso", "Lag"),
    (
        "Sin configurar: [backup] en autonomo.toml.",
        "Sin configurar: [backup] en autonomo.toml.",
        "Not set up: [backup] in autonomo.toml.",
    ),
    ("Espejo Postgres", "Espejo Postgres", "Postgres mirror"),
    (
        "Sin configurar: [mirror] postgres_url en autonomo.toml.",
        "Sin configurar: [mirror] postgres_url en autonomo.toml.",
        "Not set up: [mirror] postgres_url in autonomo.toml.",
    ),
    // WhatsApp settings.
    ("Añadir", "Añadir", "Add"),
    ("Borrar", "Borrar", "Delete"),
    ("Bot", "Bot", "Bot"),
    (
        "El bot responde estas preguntas solo, aunque el cliente las escriba con otras palabras.",
        "El bot responde estas preguntas solo, aunque el cliente las escriba con otras palabras.",
        "The bot answers these by itself, even when customers word them differently.",
    ),
    (
        "Horario de atención (HH:MM-HH:MM)",
        "Horario de atención (HH:MM-HH:MM)",
        "Opening hours (HH:MM-HH:MM)",
    ),
    (
        "Idioma de la plantilla",
        "Idioma de la plantilla",
        "Template language",
    ),
    (
        "Los datos están en el panel de Meta (WhatsApp → Configuración de la API). Los secretos se guardan cifrados y no se vuelven a mostrar: deja un campo en blanco para conservar el actual.",
        "Los datos están en el panel de Meta (WhatsApp → Configuración de la API). Los secretos se guardan cifrados y no se vuelven a mostrar: deja un campo en blanco para conservar el actual.",
        "Find these in Meta's dashboard (WhatsApp → API Setup). Secrets are stored encrypted and never shown again: leave a field blank to keep the current one.",
    ),
    (
        "Mensajes por segundo",
        "Mensajes por segundo",
        "Messages per second",
    ),
    ("Nueva pregunta", "Nueva pregunta", "New question"),
    (
        "Número y credenciales",
        "Número y credenciales",
        "Number and credentials",
    ),
    (
        "Plantilla fuera de la ventana de 24 h",
        "Plantilla fuera de la ventana de 24 h",
        "Template outside the 24-hour window",
    ),
    ("Pregunta", "Pregunta", "Question"),
    (
        "Preguntas frecuentes",
        "Preguntas frecuentes",
        "Frequently asked questions",
    ),
    (
        "Respuesta fuera de horario",
        "Respuesta fuera de horario",
        "Reply outside opening hours",
    ),
    (
        "Todavía no hay preguntas frecuentes.",
        "Todavía no hay preguntas frecuentes.",
        "No frequently asked questions yet.",
    ),
    ("Token de acceso", "Token de acceso", "Access token"),
    (
        "Token de verificación del webhook",
        "Token de verificación del webhook",
        "Webhook verify token",
    ),
    (
        "URL del webhook para Meta",
        "URL del webhook para Meta",
        "Webhook URL for Meta",
    ),
    (
        "¿Hacen delivery a Miraflores?",
        "¿Hacen delivery a Miraflores?",
        "Do you deliver to Miraflores?",
    ),
    (
        "Número de WhatsApp guardado.",
        "Número de WhatsApp guardado.",
        "WhatsApp number saved.",
    ),
    (
        "Ajustes del bot guardados.",
        "Ajustes del bot guardados.",
        "Bot settings saved.",
    ),
    (
        "Preguntas frecuentes actualizadas.",
        "Preguntas frecuentes actualizadas.",
        "FAQ updated.",
    ),
    ("Configurar", "Configurar", "Set up"),
    ("Métricas", "Métricas", "Metrics"),
    ("Periodo", "Periodo", "Period"),
    ("Hoy", "Hoy", "Today"),
    ("Últimos 7 días", "Últimos 7 días", "Last 7 days"),
    ("Últimos 30 días", "Últimos 30 días", "Last 30 days"),
    ("Desde", "Desde", "From"),
    ("Hasta", "Hasta", "To"),
    ("Ver", "Ver", "Show"),
    ("Comparado con", "Comparado con", "Compared with"),
    ("Ingresos", "Ingresos", "Revenue"),
    ("Clientes nuevos", "Clientes nuevos", "New customers"),
    ("Clientes activos", "Clientes activos", "Active customers"),
    ("Cancelados", "Cancelados", "Cancelled"),
    ("Ingresos por día", "Ingresos por día", "Revenue per day"),
    (
        "Pedidos y clientes nuevos",
        "Pedidos y clientes nuevos",
        "Orders and new customers",
    ),
    ("Canales", "Canales", "Channels"),
    (
        "Productos más vendidos",
        "Productos más vendidos",
        "Best-selling products",
    ),
    ("Segmentos", "Segmentos", "Segments"),
    ("Grilla RFM", "Grilla RFM", "RFM grid"),
    (
        "Retención por cohorte",
        "Retención por cohorte",
        "Cohort retention",
    ),
    (
        "Valor de vida previsto",
        "Valor de vida previsto",
        "Predicted lifetime value",
    ),
    (
        "Importar historial de pedidos",
        "Importar historial de pedidos",
        "Import order history",
    ),
    (
        "Columnas: external_id, telefono o email, fecha (AAAA-MM-DD o fecha y hora ISO 8601), total; opcionales: nombre, canal, estado, items (SKU x2; OTRO x1). Volver a subir el mismo archivo no duplica pedidos.",
        "Columnas: external_id, telefono o email, fecha (AAAA-MM-DD o fecha y hora ISO 8601), total; opcionales: nombre, canal, estado, items (SKU x2; OTRO x1). Volver a subir el mismo archivo no duplica pedidos.",
        "Columns: external_id, telefono or email, fecha (YYYY-MM-DD or an ISO 8601 date-time), total; optional: nombre, canal, estado, items (SKU x2; OTHER x1). Uploading the same file again does not duplicate orders.",
    ),
    (
        "Tamaño máximo (KB)",
        "Tamaño máximo (KB)",
        "Maximum size (KB)",
    ),
    (
        "Para archivos más grandes: autonomo import pedidos",
        "Para archivos más grandes: autonomo import pedidos",
        "For larger files: autonomo import pedidos",
    ),
    // Audit trail and GDPR (security).
    ("Auditoría", "Auditoría", "Audit trail"),
    ("Cadena íntegra", "Cadena íntegra", "Chain intact"),
    ("registros", "registros", "records"),
    (
        "La cadena de auditoría está rota",
        "La cadena de auditoría está rota",
        "The audit chain is broken",
    ),
    ("Quién", "Quién", "Who"),
    ("Entidad", "Entidad", "Entity"),
    ("Acción", "Acción", "Action"),
    ("Fila", "Fila", "Row"),
    ("Cambios", "Cambios", "Changes"),
    ("Sin registros", "Sin registros", "No records"),
    ("Más antiguos", "Más antiguos", "Older"),
    (
        "Protección de datos",
        "Protección de datos",
        "Data protection",
    ),
    (
        "Exportar sus datos (JSON)",
        "Exportar sus datos (JSON)",
        "Export their data (JSON)",
    ),
    (
        "Entiendo que el borrado no se puede deshacer",
        "Entiendo que el borrado no se puede deshacer",
        "I understand the erasure cannot be undone",
    ),
    (
        "Olvidar a este cliente",
        "Olvidar a este cliente",
        "Forget this customer",
    ),
    ("Más", "Más", "More"),
    ("Puntos", "Puntos", "Points"),
    ("Sellos", "Sellos", "Stamps"),
    ("Canjear", "Canjear", "Redeem"),
    ("Suscripciones", "Suscripciones", "Subscriptions"),
    ("Activas", "Activas", "Active"),
    ("Pausadas", "Pausadas", "Paused"),
    ("Churn (30 días)", "Churn (30 días)", "Churn (30 days)"),
    ("Próximos pedidos", "Próximos pedidos", "Upcoming orders"),
    (
        "Suscribir cliente",
        "Suscribir cliente",
        "Subscribe a customer",
    ),
    ("Suscribir", "Suscribir", "Subscribe"),
    (
        "Impacto ambiental",
        "Impacto ambiental",
        "Environmental impact",
    ),
    (
        "Plástico evitado (g)",
        "Plástico evitado (g)",
        "Plastic avoided (g)",
    ),
    ("Comunidad", "Comunidad", "Community"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_and_falls_back() {
        assert_eq!(tr("en", "Nuevo pedido"), "New order");
        assert_eq!(tr("es", "Nuevo pedido"), "Nuevo pedido");
        assert_eq!(tr("es", "rol_staff"), "Personal");
        assert_eq!(tr("en", "no existe"), "no existe");
    }

    /// Parallel work appends to the table: a key written twice would silently shadow one.
    #[test]
    fn every_key_appears_once() {
        let mut seen = std::collections::HashSet::new();
        let twice: Vec<&str> = TABLE
            .iter()
            .map(|r| r.0)
            .filter(|k| !seen.insert(*k))
            .collect();
        assert!(twice.is_empty(), "keys written twice: {twice:?}");
    }

    /// Every literal `t("…")` in the embedded templates has a translation.
    #[test]
    fn every_template_string_is_translated() {
        let keys: std::collections::HashSet<&str> = TABLE.iter().map(|r| r.0).collect();
        let mut missing = Vec::new();
        for name in super::super::template_names() {
            let source = super::super::template_source(&name).unwrap_or_default();
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                let mut rest = source.as_str();
                while let Some(i) = rest.find(&open) {
                    rest = &rest[i + open.len()..];
                    let Some(end) = rest.find(quote) else { break };
                    let key = &rest[..end];
                    let after = &rest[end + 1..];
                    // Coded prefixes (`t("canal_" ~ x)`) are checked by their own entries.
                    if after.trim_start().starts_with(')') && !keys.contains(key) {
                        missing.push(format!("{name}: {key}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "untranslated: {missing:#?}");
    }
}
