"""Seeds two stores for the fuzz run and prints the home store's tokens as JSON.

The home store is what the fuzzer speaks for; every text of the foreign store carries the marker, so any
answer that contains it shows data across tenants.
"""
import json
import sys
import urllib.request

URL, MARKER = sys.argv[1], sys.argv[2]
PASSWORD = "password123"


def call(query, variables=None, domain=None, token=None):
    headers = {"Content-Type": "application/json"}
    if domain:
        headers["X-Tenant-Domain"] = domain
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    with urllib.request.urlopen(urllib.request.Request(URL, body, headers)) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"seeding failed: {answer['errors']}")
    return answer["data"]


def store(domain, tag):
    owner = call(
        "mutation($i: RegisterVendorInput!) { registerVendor(input: $i) { accessToken } }",
        {"i": {"storeName": f"{tag} Store", "domain": domain, "contactEmail": f"{tag}@mail.example.org",
               "username": f"{tag}_owner", "email": f"{tag}.owner@mail.example.org", "password": PASSWORD,
               "firstName": tag, "lastName": tag}},
    )["registerVendor"]["accessToken"]
    call("mutation($i: CreateStaffInput!) { createStaff(input: $i) { id } }",
         {"i": {"username": f"{tag}_staff", "email": f"{tag}.staff@mail.example.org", "password": PASSWORD,
                "firstName": tag}}, domain, owner)
    staff = call("mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                 {"i": {"username": f"{tag}_staff", "password": PASSWORD}}, domain)["login"]["accessToken"]
    customer = call(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"username": f"{tag}_customer", "email": f"{tag}.customer@mail.example.org", "password": PASSWORD,
               "firstName": tag, "lastName": tag}}, domain,
    )["register"]["accessToken"]
    products = [
        call("mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
             {"i": {"name": f"{tag} product {n}", "description": f"{tag} description", "price": "9.99",
                    "stock": 1000}}, domain, owner)["createProduct"]["id"]
        for n in range(3)
    ]
    for product in products:
        call("mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
             {"i": {"items": [{"productId": product, "quantity": 1}], "address": f"{tag} street 1"}},
             domain, customer)
    return {"owner": owner, "staff": staff, "customer": customer}


store(f"{MARKER}.fuzz.example", MARKER)
print(json.dumps(store("home.fuzz.example", "home")))
