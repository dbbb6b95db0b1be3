//! Putting a caller through (OD-6, OD-19): who can take a call now, and
//! the blind transfer of a call being talked, shared by the API and by a
//! REFER from the agent's phone.

use crate::acd::Person;
use crate::{Center, CenterError, CenterResult};
use centrala_desk::staffing::Staffing;
use centrala_domain::{InteractionId, StaffId};
use centrala_store::interactions::StoryKind;

/// The people of `ids` who can take a call now (present, active, with a
/// registered phone), in order. Those who cannot are written into the
/// interaction's story as skipped. (Operators are not looked at here: their
/// phones reach the ACD with their state, so a call costs the same however
/// many agents there are.)
pub async fn reachable(
    center: &Center,
    s: &centrala_store::Scoped<'_>,
    interaction: InteractionId,
    ids: &[StaffId],
    staffing: &Staffing,
) -> Vec<Person> {
    let mut chain = Vec::new();
    for id in ids {
        let Some(m) = staffing.members.iter().find(|m| m.id == *id && m.active) else { continue };
        let sip = s.sip_username(*id).await.ok().flatten().filter(|u| center.is_registered(u));
        match sip {
            Some(sip) => chain.push(Person { staff: *id, name: m.full_name.clone(), role: m.role, sip: Some(sip) }),
            None => {
                let _ =
                    s.add_interaction_event(interaction, StoryKind::Skipped, Some(*id), "no phone registered").await;
            }
        }
    }
    chain
}

/// Whom `to` (`manager`, `finance`, `head` or a staff username) means for
/// the call `i`, as the routing resolves them: the client's manager, the
/// finance staff present today, the head of the manager's department (or
/// of wholesale), or that member.
pub async fn targets(
    center: &Center,
    company: centrala_domain::CompanyId,
    i: &centrala_store::interactions::Interaction,
    to: &str,
) -> CenterResult<Vec<StaffId>> {
    let s = center.company(company);
    let staffing = center.caches.staffing(&s).await?;
    let today = center.today(company).await;
    let client = match i.client_id {
        Some(c) => s.client(c).await?,
        None => None,
    };
    Ok(match to {
        "manager" => vec![client
            .as_ref()
            .and_then(|c| c.manager)
            .ok_or_else(|| CenterError::conflict("nobody_present", "the caller is no client with a manager"))?],
        "finance" => {
            staffing.present_with_role(centrala_domain::Role::Finance, today).into_iter().map(|m| m.id).collect()
        }
        "head" => {
            let dept = client
                .as_ref()
                .and_then(|c| c.manager)
                .and_then(|m| staffing.members.iter().find(|x| x.id == m))
                .and_then(|m| m.department);
            let head = staffing
                .departments
                .iter()
                .find(|d| Some(d.id) == dept)
                .or_else(|| staffing.departments.iter().find(|d| d.kind == centrala_domain::DepartmentKind::Wholesale))
                .and_then(|d| d.head);
            vec![head.ok_or_else(|| CenterError::conflict("nobody_present", "no head to put the caller through to"))?]
        }
        username => vec![staffing
            .members
            .iter()
            .find(|m| m.username == username && m.active)
            .map(|m| m.id)
            .ok_or(CenterError::NotFound("staff member"))?],
    })
}

/// Puts a call being talked through to `to` (`manager`, `finance`, `head`
/// or a staff username): its story says so, and the ACD rings the target
/// (then the operators). Returns who will ring. Shared by the API and by a
/// REFER from the agent's phone.
pub async fn transfer_call(
    center: &Center,
    company: centrala_domain::CompanyId,
    i: &centrala_store::interactions::Interaction,
    handler: StaffId,
    to: &str,
) -> CenterResult<Vec<String>> {
    let id = i.id;
    let s = center.company(company);
    let staffing = center.caches.staffing(&s).await?;
    let ids = targets(center, company, i, to).await?;
    if ids.is_empty() {
        return Err(CenterError::conflict("nobody_present", format!("nobody in {to} is present today")));
    }
    let chain = reachable(center, &s, id, &ids, &staffing).await;
    // Nobody of them can ring: said before anything moves (the caller stays
    // with the agent), never a silent fall back to the operators.
    if chain.is_empty() {
        return Err(CenterError::conflict(
            "nobody_reachable",
            format!("nobody of {to} can take the call now: no phone of theirs is registered"),
        ));
    }
    let ringing: Vec<String> = chain
        .iter()
        .filter_map(|p| staffing.members.iter().find(|m| m.id == p.staff).map(|m| m.username.clone()))
        .collect();
    // Written first: the next ringing is written by the call as it happens.
    let detail = format!("to {}", if ringing.is_empty() { "the operators".to_owned() } else { ringing.join(", ") });
    s.add_interaction_event(id, StoryKind::Transferred, Some(handler), &detail).await?;
    if !center.acd.transfer(company, id, chain).await {
        s.add_interaction_event(id, StoryKind::TransferFailed, Some(handler), "the call had ended").await?;
        return Err(CenterError::conflict("not_talking", "the call is no longer in progress"));
    }
    Ok(ringing)
}
