"""Contact with borrowers: the channels' outcome draws and their effects, the conduct
rules every action passes, complaints, and the contact-intensity measures.

Imports only the accounts room below it.
"""
