//! WebAuthn QR ("use another device"): a desktop interaction opens a ticket shown as a QR code
//! of a one-time URL; the phone attaches (`scanned`), runs the passkey ceremony for the
//! ticket's identity, and the desktop, long polling, receives the redirect with the code.
//! Tickets expire (`timeout`), can be `aborted`, are single use, and only the identity they
//! were opened for can complete them.

use qrcode::QrCode;
use qrcode::render::svg;
use serde_json::{Value, json};

use super::Idp;
use super::error::ApiError;
use super::experience::{ceremony, flow};
use super::model::{POOL, Step, Ticket, TicketStatus, load};
use crate::journal::EventKind;

pub fn phone_url(idp: &Idp, ticket: &str) -> String {
    format!("{}/cis/m/{ticket}", idp.settings.public_url)
}

/// The QR code of the ticket's URL, as SVG.
pub fn svg(idp: &Idp, ticket: &str) -> Result<String, ApiError> {
    let t: Ticket = load(&idp.store, ticket, "ticket_not_found")?;
    let code = QrCode::new(phone_url(idp, &t.id).as_bytes())
        .map_err(|e| ApiError::new(500, "internal", format!("QR encoding failed: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}

fn save(idp: &Idp, t: &Ticket) -> Result<(), ApiError> {
    idp.store.put(POOL, &t.id, t)?;
    idp.qr_changes.send_modify(|n| *n = n.wrapping_add(1));
    Ok(())
}

fn set_status(
    idp: &Idp,
    t: &mut Ticket,
    status: TicketStatus,
    error: Option<String>,
) -> Result<(), ApiError> {
    t.status = status;
    t.error = error;
    save(idp, t)?;
    idp.record(
        EventKind::FlowStep,
        "qr.status",
        Some(&t.interaction),
        json!({"ticket": t.id, "status": status, "error": t.error}),
    );
    Ok(())
}

/// Loads a ticket, turning an expired open one into `timeout`.
fn current(idp: &Idp, id: &str) -> Result<Ticket, ApiError> {
    let mut t: Ticket = load(&idp.store, id, "ticket_not_found")?;
    if !t.status.is_final() && t.expires_ms <= idp.now_ms() {
        set_status(
            idp,
            &mut t,
            TicketStatus::Timeout,
            Some("the QR code expired".into()),
        )?;
    }
    Ok(t)
}

fn status_view(idp: &Idp, t: &Ticket) -> Value {
    json!({
        "ticket": t.id, "status": t.status, "error": t.error, "redirect": t.redirect,
        "expires_in": ((t.expires_ms - idp.now_ms()) / 1000).max(0),
    })
}

/// Opens a ticket for the interaction's identity (desktop).
pub fn open_ticket(idp: &Idp, interaction: &str) -> Result<Value, ApiError> {
    let (ix, app) = flow::open(idp, interaction)?;
    if !app.config.experience.qr_enabled() {
        return Err(ApiError::bad(
            "qr_disabled",
            "WebAuthn QR is not enabled for this app",
        ));
    }
    let (register, Some(sub)) = (ix.step == Step::Register, ix.sub.clone()) else {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "another device can be used once your identifier is known",
        ));
    };
    if !matches!(ix.step, Step::Register | Step::Passkey) {
        return Err(ApiError::new(
            409,
            "wrong_step",
            "another device can be used for a passkey step only",
        ));
    }
    let now = idp.now_ms();
    let t = Ticket {
        id: idp.random_id(),
        interaction: ix.id.clone(),
        sub,
        register,
        status: TicketStatus::Pending,
        created_ms: now,
        expires_ms: now + app.config.experience.qr_ttl_secs * 1000,
        error: None,
        registration: None,
        authentication: None,
        redirect: None,
        session: None,
    };
    save(idp, &t)?;
    idp.record(
        EventKind::FlowStep,
        "qr.ticket_opened",
        Some(&ix.id),
        json!({"ticket": t.id, "register": register}),
    );
    let mut v = status_view(idp, &t);
    v["url"] = json!(phone_url(idp, &t.id));
    v["qr_svg"] = json!(format!("/cis/qr/{}/code.svg", t.id));
    Ok(v)
}

/// The longest a desktop's long poll is held before it is answered with an unchanged status
/// (the page asks again at once; an expiry under the manual clock shows at the next ask).
pub const LONG_POLL: std::time::Duration = std::time::Duration::from_secs(20);

/// The desktop's long poll: answers at once unless the status is still `seen`, else when the
/// ticket changes or after [`LONG_POLL`]. The page asks again with the status it got, so it
/// follows the phone without a timer.
pub async fn wait_poll(
    idp: &Idp,
    interaction: &str,
    ticket: &str,
    seen: Option<&str>,
) -> Result<(Value, Option<String>), ApiError> {
    // Subscribed before the first look: a change in between is not missed.
    let mut changes = idp.qr_changes.subscribe();
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        let (v, session) = poll(idp, interaction, ticket)?;
        if seen.is_none_or(|s| v["status"] != s) {
            return Ok((v, session));
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return Ok((v, session)) },
            () = tokio::time::sleep_until(deadline) => return Ok((v, session)),
        }
    }
}

/// The desktop's poll; returns the view and, on success, the session to set.
pub fn poll(
    idp: &Idp,
    interaction: &str,
    ticket: &str,
) -> Result<(Value, Option<String>), ApiError> {
    let t = current(idp, ticket)?;
    if t.interaction != interaction {
        return Err(ApiError::not_found(
            "ticket_not_found",
            "no such ticket for this sign-in",
        ));
    }
    Ok((
        status_view(idp, &t),
        t.session
            .clone()
            .filter(|_| t.status == TicketStatus::Success),
    ))
}

/// The desktop gives up on the ticket.
pub fn abort(idp: &Idp, interaction: &str, ticket: &str) -> Result<Value, ApiError> {
    let mut t = current(idp, ticket)?;
    if t.interaction != interaction {
        return Err(ApiError::not_found(
            "ticket_not_found",
            "no such ticket for this sign-in",
        ));
    }
    if !t.status.is_final() {
        set_status(
            idp,
            &mut t,
            TicketStatus::Aborted,
            Some("cancelled on the first device".into()),
        )?;
    }
    Ok(status_view(idp, &t))
}

fn refuse_final(t: &Ticket) -> Result<(), ApiError> {
    match t.status {
        TicketStatus::Timeout => Err(ApiError::new(
            410,
            "ticket_expired",
            "this QR code has expired; show a new one on the first device",
        )),
        TicketStatus::Aborted => Err(ApiError::new(
            410,
            "ticket_aborted",
            "this QR code was cancelled on the first device",
        )),
        s if s.is_final() => Err(ApiError::new(
            409,
            "ticket_used",
            "this QR code was already used",
        )),
        _ => Ok(()),
    }
}

/// The phone opened the URL: `scanned`, with the ceremony's options.
pub fn attach(idp: &Idp, ticket: &str) -> Result<Value, ApiError> {
    let mut t = current(idp, ticket)?;
    refuse_final(&t)?;
    if t.status == TicketStatus::Scanned {
        return Err(ApiError::new(
            409,
            "ticket_used",
            "this QR code was already scanned by a device",
        ));
    }
    let user = idp.store.idp_user(&t.sub)?.ok_or_else(|| {
        ApiError::bad(
            "user_not_found",
            "the account of this QR code no longer exists",
        )
    })?;
    let name = user.email.or(user.phone).unwrap_or(t.sub.clone());
    let options = if t.register {
        let (o, s) = ceremony::creation_options(idp, &t.sub, &name)?;
        t.registration = Some(s);
        json!({"ceremony": "create", "publicKey": o})
    } else {
        let (o, s) = ceremony::request_options(idp, &t.sub)?;
        t.authentication = Some(s);
        json!({"ceremony": "get", "publicKey": o})
    };
    set_status(idp, &mut t, TicketStatus::Scanned, None)?;
    let mut v = options;
    v["status"] = json!(t.status);
    v["identifier"] = json!(name);
    Ok(v)
}

/// The phone's ceremony result: verified for the ticket's identity only; the ticket ends in
/// `success` (the desktop's interaction completes) or `error`.
pub fn finish(idp: &Idp, ticket: &str, body: &[u8]) -> Result<Value, ApiError> {
    let mut t = current(idp, ticket)?;
    refuse_final(&t)?;
    if t.status != TicketStatus::Scanned {
        return Err(ApiError::new(
            409,
            "ticket_not_scanned",
            "open the QR code's page first",
        ));
    }
    let flow_id = t.interaction.clone();
    let result = match (t.registration.take(), t.authentication.take()) {
        (Some(state), _) => ceremony::register(idp, state, &t.sub, body, &flow_id),
        (None, Some(state)) => ceremony::authenticate(idp, state, &t.sub, body, &flow_id),
        (None, None) => Err(ApiError::bad(
            "no_ceremony",
            "no ceremony was started for this ticket",
        )),
    };
    if let Err(e) = result {
        set_status(idp, &mut t, TicketStatus::Error, Some(e.message.clone()))?;
        return Err(e);
    }
    let (ix, _) = flow::open(idp, &t.interaction)?;
    let done = flow::complete(idp, ix, "webauthn")?;
    t.redirect = Some(done.redirect);
    t.session = Some(done.session);
    set_status(idp, &mut t, TicketStatus::Success, None)?;
    Ok(json!({"status": t.status}))
}
