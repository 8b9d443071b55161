"""Texts of the demo data: what customers write (in their language), what agents note, what the
store sends. `{order}` in a template is replaced by the order id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketText:
    subject: str
    description: str
    resolution: str


TICKETS: dict[str, dict[str, tuple[TicketText, ...]]] = {
    "order": {
        "en": (
            TicketText(
                "Change the size on my order",
                "Can I swap the size on order {order}?",
                "Explained that sizes can be swapped through a free return.",
            ),
            TicketText(
                "Wrong colour received",
                "I ordered black but order {order} came in white.",
                "Sent the right colour and a return label for the wrong one.",
            ),
        ),
        "es": (
            TicketText(
                "Cambiar la talla del pedido",
                "¿Puedo cambiar la talla del pedido {order}?",
                "Se explicó que la talla se cambia con una devolución gratuita.",
            ),
            TicketText(
                "Color equivocado",
                "Pedí negro y el pedido {order} llegó en blanco.",
                "Se envió el color correcto y una etiqueta de devolución.",
            ),
        ),
    },
    "delivery": {
        "en": (
            TicketText(
                "Where is my parcel?",
                "Order {order} has not moved for days.",
                "Carrier confirmed the parcel was delayed at the hub; delivered two days later.",
            ),
            TicketText(
                "Parcel marked delivered but not received",
                "Tracking says order {order} was delivered but I have nothing.",
                "The parcel was with a neighbour; customer confirmed receipt.",
            ),
        ),
        "es": (
            TicketText(
                "¿Dónde está mi paquete?",
                "El pedido {order} lleva días sin moverse.",
                "La transportista confirmó un retraso en su centro; se entregó dos días después.",
            ),
            TicketText(
                "Marcado como entregado pero no lo tengo",
                "El seguimiento dice que el pedido {order} se entregó, pero no he recibido nada.",
                "El paquete lo tenía un vecino; se confirmó la recepción.",
            ),
        ),
    },
    "damaged_item": {
        "en": (
            TicketText(
                "Item arrived damaged",
                "One item in order {order} arrived broken.",
                "Replacement sent at no cost; no need to return the damaged item.",
            ),
        ),
        "es": (
            TicketText(
                "Artículo dañado",
                "Un artículo del pedido {order} llegó roto.",
                "Se envió un reemplazo sin coste; no hace falta devolver el artículo dañado.",
            ),
        ),
    },
    "return": {
        "en": (
            TicketText(
                "How do I return an item?",
                "I'd like to return part of order {order}.",
                "Return created and label emailed to the customer.",
            ),
        ),
        "es": (
            TicketText(
                "¿Cómo devuelvo un artículo?",
                "Quiero devolver parte del pedido {order}.",
                "Se creó la devolución y se envió la etiqueta por correo.",
            ),
        ),
    },
    "refund": {
        "en": (
            TicketText(
                "Refund not received yet",
                "My refund for order {order} has not arrived.",
                "Refund was processed; the bank needed 5 working days.",
            ),
        ),
        "es": (
            TicketText(
                "No me ha llegado el reembolso",
                "El reembolso del pedido {order} no me ha llegado.",
                "El reembolso estaba procesado; el banco tardó 5 días hábiles.",
            ),
        ),
    },
    "account": {
        "en": (
            TicketText(
                "Can't log in",
                "The password reset email never arrives.",
                "Email address had a typo; corrected and reset link sent.",
            ),
        ),
        "es": (
            TicketText(
                "No puedo entrar en mi cuenta",
                "No me llega el correo para restablecer la contraseña.",
                "El correo tenía una errata; corregido y enlace enviado.",
            ),
        ),
    },
    "payment": {
        "en": (
            TicketText(
                "Charged twice",
                "I see two charges for order {order}.",
                "The second charge was an authorization hold that expired.",
            ),
        ),
        "es": (
            TicketText(
                "Cobro duplicado",
                "Veo dos cargos del pedido {order}.",
                "El segundo cargo era una retención que caducó sola.",
            ),
        ),
    },
    "other": {
        "en": (
            TicketText(
                "Gift wrapping",
                "Do you offer gift wrapping?",
                "Explained gift wrapping is available at checkout.",
            ),
        ),
        "es": (
            TicketText(
                "Envolver para regalo",
                "¿Se puede envolver para regalo?",
                "Se explicó que se elige al pagar.",
            ),
        ),
    },
}

TICKET_SKILL = {
    "order": "orders",
    "delivery": "orders",
    "damaged_item": "returns",
    "return": "returns",
    "refund": "billing",
    "account": "technical",
    "payment": "billing",
    "other": "orders",
}
"""The agent skill a ticket of each category needs."""

NOTES = (
    "Prefers deliveries after 6 pm.",
    "Asked for invoices to be issued to their company.",
    "Very happy with the last exchange; offered to leave a review.",
    "Has a neighbour who accepts parcels (flat 2B).",
    "Called about a discount code that had expired; honoured it once.",
    "Allergic to latex: avoid latex gloves samples in parcels.",
)

CANCEL_REASONS = (
    "Customer changed their mind",
    "Ordered by mistake",
    "Found a better price elsewhere",
    "Delivery date too late",
)
PAYMENT_DECLINED = "Payment declined by the card issuer"

RETURN_REASONS = (
    "Wrong size",
    "Not as described",
    "Changed my mind",
    "Arrived too late",
    "Item arrived damaged",
)

EXCEPTIONS = (
    "Delivery attempt failed: recipient not available",
    "Delayed: address incomplete, carrier contacting recipient",
    "Delayed by severe weather",
)

ORDER_MESSAGES = {
    "processed": {
        "en": ("Order {order} confirmed", "Thanks! We are preparing order {order}."),
        "es": ("Pedido {order} confirmado", "¡Gracias! Estamos preparando tu pedido {order}."),
    },
    "shipped": {
        "en": ("Order {order} is on its way", "Good news: order {order} has shipped."),
        "es": (
            "Tu pedido {order} está en camino",
            "Buenas noticias: tu pedido {order} ya ha salido.",
        ),
    },
    "delivered": {
        "en": ("Order {order} delivered", "Order {order} has been delivered. Enjoy!"),
        "es": (
            "Pedido {order} entregado",
            "Tu pedido {order} ha sido entregado. ¡Que lo disfrutes!",
        ),
    },
    "cancelled": {
        "en": ("Order {order} cancelled", "Order {order} has been cancelled."),
        "es": ("Pedido {order} cancelado", "Tu pedido {order} ha sido cancelado."),
    },
}

MARKETING_MESSAGES = {
    "en": ("Autumn sale: 20% off home", "Our autumn sale is on: 20% off everything for the home."),
    "es": (
        "Rebajas de otoño: 20 % en hogar",
        "Empiezan las rebajas de otoño: 20 % en todo para el hogar.",
    ),
}

MESSAGE_ERRORS = {
    "email": "Mailbox unavailable (550)",
    "sms": "Number unreachable",
    "whatsapp": "Recipient is not a WhatsApp user",
    "in_app": "App not installed on any device",
}
