"""Keyword patterns per intent, in English and Spanish, matched on folded text.

They complement the embeddings where a sentence model is weak: Spanish (all-MiniLM-L6-v2 learned
mostly English), short dialogue acts ("sí", "nope"), and key words that decide between two close
intents ("refund" vs "return"). A hit adds a bonus to the intent's score; it never decides alone.
Text is folded first (lower case, no accents: "Devolución" -> "devolucion").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agent.nlu.items import item_kinds
from agent.nlu.types import Intent
from cerebro.text import fold


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


SHORT = 60
"""Dialogue acts ("yes", "hola, buenas tardes") are short: longer messages are never one."""


def _whole(*alternatives: str) -> re.Pattern[str]:
    """Matches a short message made only of `alternatives`, separated by spaces or punctuation.

    The length limit also bounds the backtracking between overlapping alternatives.
    """
    body = "|".join(f"(?:{alternative})" for alternative in alternatives)
    return re.compile(rf"^(?=.{{0,{SHORT}}}$)[\W_]*(?:{body})(?:[\W_]+(?:{body}))*[\W_]*$")


_ORDER_EN = r"(?:order|package|parcel|shipment|purchase|delivery|stuff)"
_ORDER_ES = r"(?:pedido|paquete|envio|orden|compra|entrega)"

PATTERNS: Mapping[Intent, re.Pattern[str]] = {
    "order_status": _any(
        rf"\b(?:where(?:'?s| is)?|wher|track|tracking|status|eta)\b.*\b{_ORDER_EN}",
        rf"\b{_ORDER_EN}\b.*\b(?:status|shipped|dispatched|on (?:its|the) way)\b",
        r"\btrack(?:ing)? (?:number|code|link)\b",
        rf"\b(?:donde|dnd|rastre\w*|seguimiento|estado)\b.*\b{_ORDER_ES}",
        rf"\b{_ORDER_ES}\b.*\b(?:en camino|salio|enviaron|despach\w*)\b",
        r"\b(?:numero|codigo|enlace) de seguimiento\b",
        r"\b(?:carrier|courier|estimated delivery|left the warehouse)\b",
        rf"\b(?:show|see|view|check|look ?up|find)\b.*\b{_ORDER_EN}",
        r"\b(?:transportista|mensajeria|fecha (?:prevista )?de entrega)\b",
        rf"\b(?:muestra\w*|ver|mira\w*|consulta\w*|busca\w*|revisa\w*)\b.*\b{_ORDER_ES}",
    ),
    # Not the "noise-cancelling" of a product's name.
    "cancel_order": _any(r"(?<!noise[- ])\bcanc(?:el|le)\w*", r"\banul\w*"),
    "change_address": _any(
        r"\b(?:change|update|wrong|new|different|another|modify|fix|correct|typo)\b.*\baddress",
        r"\baddress\b.*\b(?:wrong|change|update|typo|old)\b",
        r"\b(?:ship|send|deliver)\w* (?:it|the order|my order)? ?to\b",
        r"\b(?:cambi\w*|actualiz\w*|modific\w*|equivoc\w*|nueva|otra|mal|corregi\w*)\b.*\bdireccion",
        r"\bdireccion\b.*\b(?:mal|cambi\w*|vieja|error|equivocad\w*)\b",
        r"\b(?:mand|envi|entreg)\w* (?:\w+ )?(?:a|en) "
        r"(?:otr[ao]|mi oficina|(?:mi |el )?trabajo|casa)\b",
        r"\b(?:street|apartment|flat number|house number|redirect)\b",
        r"\b(?:calle|piso|portal|domicilio|redirij\w*|redirig\w*)\b",
    ),
    "return_items": _any(
        r"\breturn(?:ing|s)?\b(?!.*\brefund)",
        r"\b(?:send|give|take) (?:\w+ ){0,3}back\b",
        r"\bexchange\b",
        r"\b(?:devolv|devuelv|debolv|regres|devolucion)\w*",
        r"\bmandar de vuelta\b",
    ),
    "refund_status": _any(
        r"\bre(?:f|ff)u?n?d\w*",
        r"\bmoney\b",
        r"\breimburs\w*",
        r"\b(?:reembols|rembols|reenbols|reintegr)\w*",
        r"\bdevuelv\w* (?:el|mi) dinero\b",
        r"\bdinero\b",
    ),
    "report_damaged": _any(
        r"\b(?:damaged?|damged|broken|broke|cracked|crack|shattered|smashed|defective|faulty"
        r"|ruined|scratch\w*|torn|ripped|dented|leaked|in pieces|bad condition|hole)\b",
        r"\b(?:smok(?:e|ed|ing)|caught fire|on fire|burn(?:ed|t|ing)|sparks?|sparking|overheat\w*"
        r"|melt(?:ed|ing)|electric shock|explod\w*)\b",
        r"\b(?:roto|rota|rotos|rotas|danad\w*|defectuos\w*|estropead\w*|rajad\w*|quebrad\w*"
        r"|rayad\w*|rayon\w*|abollad\w*|desgarrad\w*|rasgad\w*|en pedazos|mal estado|no funciona"
        r"|grieta|agujero|fallas?|anicos)\b",
        r"\b(?:(?:echa|echo|sale|salio|solto) humo|fuego|quemad[oa]|me queme|me quemo|chispas?"
        r"|sobrecalent\w*|derriti\w*|descarga electrica|explot\w*)\b",
    ),
    "report_late": _any(
        r"\b(?:late|delayed|overdue|never (?:arrived|came|showed)"
        r"|taking (?:so|way too|too) long)\b",
        r"\b(?:has ?n[o']t|have ?n[o']t|not|still|never|nothing)\b.*\b(?:arrived|come|came"
        r"|delivered|gotten|received)\b",
        r"\bstill (?:no|waiting|nothing)\b",
        r"\b(?:supposed to (?:be here|arrive)|should have (?:arrived|been here)|past the delivery"
        r"|hasn'?t moved|stuck|forever|and nothing|it'?s been \d+)\b",
        r"\b(?:tarde|retras\w*|atrasad\w*|demor\w*|tardando|nunca llego)\b",
        r"\b(?:no|sin|todavia no|aun no|nunca)\b.*"
        r"\b(?:llega\w*|llego|entregad\w*|entregan|recib\w*)\b",
        r"\bsigo esperando\b",
        r"\b(?:no se mueve|atascad\w*|eternidad|tarda tanto|nunca vino|de sobra|ya van|y nada"
        r"|tenia que llegar|deberia haber llegado)\b",
    ),
    "account_details": _any(
        r"\b(?:email|e-mail|phone|mobile|contact|account|profile|personal (?:details|info)"
        r"|my details|my name)\b",
        r"\b(?:correo|email|imeil|telefono|movil|celular|cuenta|perfil|datos|contacto)\b",
    ),
    "knowledge_question": _any(
        r"\b(?:policy|how long does|how long do|how long until|how much (?:is|does)|how many days"
        r"|do you (?:ship|deliver|accept|take|offer)|payment methods?|can i pay|opening hours"
        r"|free shipping|shipping (?:cost|time)|return window|is (?:shipping|return shipping) free"
        r"|what happens if|what should i do if|how (?:do|does) \w+ work|until when"
        r"|do i (?:have|need) to pay|how (?:can|do) i (?:contact|reach|delete|request|get a copy)"
        r"|how do you (?:handle|use|protect))\b",
        r"\b(?:politica|cuanto tarda\w*|cuanto cuesta|cuantos dias|aceptan|formas? de pago"
        r"|puedo pagar|horario|envio gratis|plazo|hac(?:en|eis) envios|tienen envio|enviais"
        r"|aceptais|que pasa si"
        r"|que hago si|es gratis|como funciona\w*|hasta cuando|tengo que pagar|como (?:contacto"
        r"|borro|pido|solicito)|como (?:tratan|usan|protegen))\b",
    ),
    "talk_to_human": _any(
        r"\b(?:human|agent|representative|operator|supervisor|manager|real person|live person)\b",
        r"\b(?:talk|speak|chat|connect|transfer|put)\b.*\b(?:person|somebody|someone|team)\b",
        r"\b(?:humano|agente|asesor|operador|supervisor|encargado|representante|persona)\b",
        r"\b(?:habla\w*|pas\w*|comunica\w*|transfier\w*|conecta\w*|atienda)\b.*\b(?:alguien"
        r"|atencion al cliente)\b",
    ),
    "greeting": _whole(
        r"hi+|hello+|hey+|hiya|heya|howdy|yo|greetings|good (?:morning|afternoon|evening)|morning"
        r"|there|team|folks|all|everyone|again|how are you|anyone there|anybody (?:there|around)",
        r"hola+|holis|buenas|buenos dias|buenas (?:tardes|noches)|buen dia|muy buenas|saludos"
        r"|cordiales|que tal|que onda|ey|a todos|equipo|como estas|hay alguien|alguien por ahi",
    ),
    "goodbye": _any(
        r"\b(?:bye|goodbye|see you|take care|talk later|have a (?:nice|good) (?:day|one)"
        r"|that'?s (?:all|it|everything)|that is all|nothing else)\b",
        r"^[\W_]*(?!no\b)(?:\w+,? )?(?:thanks?|thank you|thx|cheers|many thanks)\b",
        r"\b(?:adios|chao|hasta (?:luego|pronto)|nos vemos|cuidate|eso es todo|nada mas"
        r"|(?:que )?tengas? (?:un )?buen dia|te agradezco)\b",
        r"^[\W_]*(?!no\b)(?:\w+,? )?(?:gracias|grax|mil gracias|muchas gracias|muchisimas gracias)",
    ),
    "affirm": _whole(
        r"yes|yeah|yep|yup|ya|sure|ok|okay|alright|correct|right|exactly|absolutely|definitely"
        r"|of course|confirm(?:ed)?|go ahead|do it|do that|please|please do|sounds good|uh huh"
        r"|go for it|that'?s (?:right|it|correct|the one)|that one",
        r"si|sip|claro|vale|dale|ok|correcto|es correcto|exacto|confirmo|adelante|por supuesto"
        r"|de acuerdo|orale|perfecto|bueno|aja|eso|eso es|ese es|ese mismo|asi es|me parece bien"
        r"|hazlo|por favor",
    ),
    "deny": _any(
        r"^[\W_]*(?:no+|nope|nah|nop)\b(?:\W+\w+){0,4}[\W_]*$",
        r"^[\W_]*(?:negative|not really|not now|not at all|never ?mind|no way|i don'?t think so"
        r"|i'?d rather not|wrong|that'?s (?:wrong|incorrect|not it)|stop|please don'?t|don'?t"
        r"|i don'?t want (?:that|it))\b",
        r"^[\W_]*(?:negativo|para nada|mejor no|ni hablar|en absoluto|ahora no|no creo|incorrecto"
        r"|detente|dejalo|por favor no|la verdad no|eso no|ese no)\b",
    ),
}
"""One pattern per intent; `provide_info` and `out_of_scope` have none (see the classifier)."""


# Words of the retail-support domain. A turn with none of them, no pattern hit and no value is
# probably out of scope, unless it is very close to an in-scope example.
DOMAIN = re.compile(
    r"\b(?:order\w*|package\w*|parcel\w*|ship\w*|deliver\w*|arriv\w*|track\w*|courier|carrier"
    r"|dispatch\w*|warehouse|refund\w*|reimburs\w*|return\w*|money|charg\w*|pa(?:y|id)\w*|card"
    r"|account|e-?mail|phone|mobile|address\w*|adress|zip|post ?code|cancel\w*|item\w*|product\w*"
    r"|purchas\w*|bought|buy|size|damag\w*|broken|defective|label|exchange|invoice|receipt|price"
    r"|discount|store|shop\w*|customer|service|support|help|agent|human|person|someone|data|privacy"
    r"|policy|thank\w*|thx|bye|late|waiting|stuff|box|street|apartment|flat|floor|house|city"
    r"|details|info\w*|personal|bot|hole|crack\w*|scratch\w*|torn|weeks?|days?"
    r"|ordr|pa[ck]+age|trak|adres+)\b"
    r"|\b(?:pedid\w*|paquet\w*|envi\w*|entreg\w*|lleg\w*|segui\w*|rastre\w*|repartidor|transportista"
    r"|mensajer\w*|almacen|reembols\w*|devol\w*|devuelv\w*|regres\w*|dinero|cobr\w*|pag\w*"
    r"|tarjeta|cuenta|correo|telefono|movil|celular|direccion|domicilio|codigo postal|cancel\w*"
    r"|anul\w*|articul\w*|product\w*|compr\w*|talla|rot[oa]s?|danad\w*|defectuos\w*|etiqueta"
    r"|factura|recibo|precio|descuento|tienda|cliente|atencion|ayuda|agente|humano|persona|alguien"
    r"|datos|privacidad|politica|gracias|adios|esperando|tarde|cosas|caja|calle|piso|portal"
    r"|ciudad|casa|detalles|informacion|personal|bot|agujero|grieta|rayon\w*|semanas?|dias?"
    r"|pa[ck]ete|direcion|rembols\w*|soporte)\b"
)


def pattern_hits(text: str) -> frozenset[Intent]:
    """The intents whose pattern matches `text`."""
    folded = fold(text)
    return frozenset(intent for intent, pattern in PATTERNS.items() if pattern.search(folded))


def has_domain_words(text: str) -> bool:
    """Whether `text` uses any word of the retail-support domain, in English or Spanish, a
    product's name included ("where is my smartwatch?")."""
    return DOMAIN.search(fold(text)) is not None or bool(item_kinds(text))
