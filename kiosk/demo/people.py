"""Names for the demo hospital: realistic and varied on purpose (hyphens, apostrophes, accents, a very
long name, and two patients who share a name but not a birth date), so every screen and label meets
the names real units meet.
"""

from __future__ import annotations

# (family, given names, sex) - the order is fixed so the demo is the same on every machine.
PATIENT_NAMES: list[tuple[str, tuple[str, ...], str]] = [
    ("Okafor", ("Chinedu",), "male"),
    ("García-López", ("María", "José"), "female"),
    ("O'Brien", ("Siobhan",), "female"),
    ("Nguyễn", ("Thị", "Mai"), "female"),
    ("Johnson", ("Michael",), "male"),
    ("Müller", ("Jürgen",), "male"),
    ("Hernández-Villanueva de los Santos", ("María", "Guadalupe", "Concepción", "Ximena"), "female"),
    ("D'Angelo", ("Francesca",), "female"),
    ("Kowalczyk", ("Stanisław",), "male"),
    ("Smith-Jones", ("Amelia", "Rose"), "female"),
    ("Johnson", ("Michael",), "male"),
    ("Begay", ("Darlene",), "female"),
    ("Haddad", ("Karim",), "male"),
    ("Lefèvre", ("Zoë",), "female"),
    ("Washington", ("Tyrone", "James"), "male"),
    ("Yamamoto", ("Haruki",), "male"),
    ("Ó Súilleabháin", ("Pádraig",), "male"),
    ("Fitzgerald", ("Eleanor",), "female"),
    ("Abdullahi", ("Amina",), "female"),
    ("Petrov", ("Dmitri",), "male"),
    ("Santos", ("João", "Paulo"), "male"),
    ("Kim", ("Ji-woo",), "female"),
    ("Bergström", ("Åsa",), "female"),
    ("MacDonald", ("Ewan",), "male"),
    ("Rossi", ("Giulia",), "female"),
    ("Patel", ("Rohan",), "male"),
    ("Thompson", ("Dorothy", "Mae"), "female"),
    ("Castillo", ("Andrés",), "male"),
    ("Chen", ("Wei",), "male"),
    ("Dubois", ("Hélène",), "female"),
    ("St. Pierre", ("Jean-Luc",), "male"),
    ("Novak", ("Ivana",), "female"),
    ("Oyelaran", ("Babatunde",), "male"),
    ("Lindqvist", ("Björn",), "male"),
    ("Ramírez", ("Sofía",), "female"),
    ("Wójcik", ("Agnieszka",), "female"),
    ("Al-Farsi", ("Yusuf",), "male"),
    ("Murphy", ("Bridget",), "female"),
    ("Sørensen", ("Mette",), "female"),
    ("Goldberg", ("Nathan",), "male"),
    ("Ivanova", ("Olga",), "female"),
    ("Brown", ("Elijah",), "male"),
    ("Ahmed", ("Fatima",), "female"),
    ("Costa", ("Inês",), "female"),
    ("Walker", ("Harold",), "male"),
]

# Birth dates (YYYY-MM-DD) in the same order; the two Michael Johnsons differ.
PATIENT_BIRTH_DATES: list[str] = [
    "1948-03-12", "1971-07-30", "1985-11-02", "1959-01-19", "1956-04-08", "1940-09-23", "1977-12-05",
    "1992-06-14", "1938-02-27", "2001-10-10", "1988-08-21", "1964-05-03", "1953-03-30", "1999-01-01",
    "1969-07-04", "1945-11-11", "1934-04-15", "1982-02-09", "1975-09-17", "1950-06-06", "1961-12-24",
    "1994-03-08", "1958-10-31", "1947-05-20", "1986-01-26", "1973-04-01", "1936-08-13", "1966-11-19",
    "1980-05-27", "1957-02-02", "1942-07-07", "1990-09-09", "1963-03-03", "1951-12-12", "1997-06-28",
    "1944-10-05", "1979-01-15", "1968-08-08", "1955-05-05", "1983-04-22", "1949-09-29", "2003-02-14",
    "1972-10-18", "1939-12-01", "1960-07-16",
]

PRACTITIONERS: list[tuple[str, tuple[str, ...], str]] = [
    ("Adeyemi", ("Folake",), "attending"),
    ("Hoffmann", ("Claus",), "attending"),
    ("Shapiro", ("Rachel",), "attending"),
    ("Delgado", ("Marco",), "attending"),
    ("Iyer", ("Priya",), "attending"),
    ("O'Connell", ("Sean",), "attending"),
    ("Tran", ("Vivian",), "resident"),
    ("Kowalski", ("Adam",), "resident"),
    ("Mensah", ("Kwame",), "resident"),
    ("Lund", ("Ingrid",), "resident"),
]

ALLERGIES = ["Allergy: penicillin", "Allergy: latex", "Allergy: shellfish", "Allergy: sulfa drugs",
             "Allergy: peanuts"]
ISOLATIONS = [
    ("isolation-contact", "Contact isolation (MRSA)"),
    ("isolation-droplet", "Droplet isolation (influenza)"),
    ("isolation-airborne", "Airborne isolation (tuberculosis)"),
    ("isolation-contact", "Contact isolation (C. difficile)"),
]
