"""The published list of content-risk categories a project may declare, each with what it
covers and where a worker can find support.

The support resources are data, never fetched: they are EXAMPLES (international
directories), and an operator should replace or extend them with services in the
languages and countries of their workforce."""

from fairlabel.wellness.schemas import RiskCategory, SupportResource

SUPPORT_NOTE = (
    "These support resources are examples. The operator of this deployment should "
    "localise them for the countries and languages of its workers."
)

#: Listed on every risky task, whatever its categories.
GENERAL_SUPPORT = [
    SupportResource(
        label="Find A Helpline: free, confidential support lines by country",
        url="https://findahelpline.com",
    ),
    SupportResource(
        label="IASP: directory of crisis centres and helplines",
        url="https://www.iasp.info/crisis-centres-helplines/",
    ),
]

CATEGORIES = [
    RiskCategory(
        name="violence",
        label="Violence and gore",
        description="Physical violence, injury, death, weapons used against people or animals.",
    ),
    RiskCategory(
        name="sexual",
        label="Sexual content",
        description="Nudity and sexual acts between adults. Sexual content involving minors "
        "is never labelled here: report it to the operator at once.",
    ),
    RiskCategory(
        name="hate",
        label="Hate and harassment",
        description="Slurs, dehumanising language, threats or harassment aimed at people for "
        "who they are.",
    ),
    RiskCategory(
        name="self_harm",
        label="Self-harm and suicide",
        description="Descriptions or images of self-harm, suicide or eating disorders.",
        support=[
            SupportResource(
                label="Example: 988 Suicide & Crisis Lifeline (United States)",
                url="https://988lifeline.org",
                phone="988",
            )
        ],
    ),
    RiskCategory(
        name="medical",
        label="Medical imagery",
        description="Surgery, wounds, disease and other graphic medical images.",
    ),
    RiskCategory(
        name="abuse",
        label="Abuse and exploitation",
        description="Accounts of domestic, emotional or physical abuse, trafficking or "
        "exploitation.",
    ),
]

BY_NAME = {category.name: category for category in CATEGORIES}
