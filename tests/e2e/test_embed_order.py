"""What the server embeds first, and when a save is searchable."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.fixtures import write_files
from tests.lsp_messages import did_insert, did_open, did_replace

from .conftest import NO_MODEL, search, start, until, wait_for_status

FILLER = "\n\n".join(f"def filler_{n}(value):\n    return value + {n}" for n in range(10))


def _shop(root: Path) -> Path:
    return write_files(root, {
        "shop/__init__.py": "",
        "shop/cart.py": "from shop.pricing import net_price\n\n"
                        "def total(items):\n    return sum(net_price(i) for i in items)\n\n"
                        "def count(items):\n    return len(items)\n",
        "shop/pricing.py": "def net_price(item):\n    return item.price\n",
        "shop/checkout.py": "from shop.cart import total\n\ndef pay(items):\n    return total(items)\n",
        **{f"a_unrelated_{n}.py": FILLER + "\n" for n in range(20)},  # scanned before shop/
    })


async def test_the_open_file_and_its_neighbours_are_embedded_first(client: LanguageClient, tmp_path: Path) -> None:
    root = _shop(tmp_path / "shop")
    front = {"shop/cart.py", "shop/pricing.py", "shop/checkout.py", "shop/__init__.py"}
    await start(client, root, wait=False,
                options={"server": {"embed_step": 1}, "search": {"graph_neighbours": False}})
    uri = (root / "shop" / "cart.py").as_uri()
    client.text_document_did_open(did_open(uri, (root / "shop" / "cart.py").read_text()))
    # Stop the embedding pass part way (its progress is cancellable): what got a vector by then shows the order.
    await wait_for_status(client, lambda s: s["state"] == "embedding" and 0 < s["embedded"], timeout=180)
    [token] = list(client.progress_reports)
    client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token))
    final = await wait_for_status(client, lambda s: s["state"] in ("cancelled", "ready"), timeout=180)
    assert final["state"] == "cancelled" and 0 < final["embedded"] < final["chunks"]
    hits = (await search(client, query="add up the prices of the items", mode="vector", k=200))["hits"]
    assert len(hits) == final["embedded"]  # vector search sees exactly the embedded chunks
    embedded = {hit["path"] for hit in hits}
    front_chunks = 5  # total, count, net_price, pay (and no more than one module chunk)
    if final["embedded"] >= front_chunks:
        assert {"shop/cart.py", "shop/pricing.py", "shop/checkout.py"} <= embedded
    else:
        assert embedded <= front


async def test_a_save_is_searchable_when_its_status_arrives(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    path = project / "billing" / "invoice.py"
    uri, text = path.as_uri(), path.read_text()
    client.text_document_did_open(did_open(uri, text))
    await until(lambda: _found(client, "format_money"))
    for n in range(3):
        name = f"settle_account_{n}"
        addition = f"\n\ndef {name}(invoice):\n    return invoice.total_cents() - {n}\n"
        end = len(text.splitlines())
        text += addition
        client.text_document_did_change(did_insert(uri, n + 2, end, addition))
        path.write_text(text)
        seen = len(client.statuses)  # type: ignore[attr-defined]
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        await wait_for_status(client, lambda s: s["state"] == "ready", after=seen, timeout=30)
        assert await _found(client, name)  # asked once, right after the status: no retry


async def _found(client: LanguageClient, name: str) -> bool:
    hits = (await search(client, query=name, mode="bm25", k=5))["hits"]
    return any(hit["qualifiedName"] == name for hit in hits)


async def test_a_saved_function_is_found_by_meaning_and_a_removed_one_is_gone(client: LanguageClient,
                                                                              project: Path) -> None:
    await start(client, project)  # with the embedding model
    path = project / "billing" / "invoice.py"
    uri, text = path.as_uri(), path.read_text()
    client.text_document_did_open(did_open(uri, text))
    assert await _found(client, "format_money")
    text = text.split("\n\ndef format_money")[0] + (
        "\n\n\ndef late_payment_fee(days_overdue: int) -> int:\n"
        '    """Charge a penalty for every day an invoice stays unpaid after its due date."""\n'
        "    return 150 * days_overdue\n")
    client.text_document_did_change(did_replace(uri, 2, text))
    path.write_text(text)
    seen = len(client.statuses)  # type: ignore[attr-defined]
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))

    async def by_meaning() -> bool:
        hits = (await search(client, query="penalty for paying a bill too late", mode="vector", k=3))["hits"]
        return any(hit["qualifiedName"] == "late_payment_fee" for hit in hits)

    assert await until(by_meaning, timeout=30)
    # The vector came with the save itself, not from a background embedding pass.
    after = client.statuses[seen:]  # type: ignore[attr-defined]
    assert after and all(s["state"] == "ready" for s in after) and after[-1]["embedded"] == after[-1]["chunks"]
    assert await _found(client, "late_payment_fee")
    assert not await _found(client, "format_money")
    hits = (await search(client, query="render an amount of cents with the currency code", k=10))["hits"]
    assert all(hit["qualifiedName"] != "format_money" for hit in hits)
