"""« rapport » in chat, end to end on a real Synapse: a correspondent asks in a direct chat and
receives the summary with the questions chart as an uploaded image, then the HTML page as a file."""

from __future__ import annotations

import pytest
from nio import DownloadResponse, RoomMessageFile, RoomMessageImage

from bot.features import report, tickets
from synapse_server import content

pytestmark = pytest.mark.matrix


async def test_a_correspondent_gets_the_report_as_an_image_and_a_page(make_harness, staff, colleague):
    h = make_harness([staff.user_id], [staff.user_id, colleague.user_id], features=[tickets.install, report.install])
    bot = await h.start()
    dm = await staff.create_room([bot.user_id], direct=True)  # not encrypted: the files are read as sent
    await staff.wait_joined(dm, bot.user_id)
    asked = await staff.send(dm, "Comment inviter un collègue dans Pix Orga ?")  # one question to count
    await staff.reply_to(bot.user_id, asked)

    await staff.send(dm, "rapport")
    image = await staff.wait_for(lambda r, e: r == dm and isinstance(e, RoomMessageImage), what="the chart")
    page = await staff.wait_for(lambda r, e: r == dm and isinstance(e, RoomMessageFile), what="the HTML page")
    caption = content(image)
    assert caption["body"].startswith("**Rapport d'activité de l'assistant Pix")
    assert "- 1 question(s) : 100 % de réponses directes" in caption["body"]
    assert caption["filename"] == "questions-par-mois.png" and caption["info"]["mimetype"] == "image/png"
    png = await staff.client.download(mxc=caption["url"])
    assert isinstance(png, DownloadResponse) and png.body.startswith(b"\x89PNG") and len(png.body) > 10_000
    document = content(page)
    assert document["info"]["mimetype"] == "text/html" and document["filename"].startswith("rapport-")
    html = await staff.client.download(mxc=document["url"])
    assert html.body.decode("utf-8").count('src="data:image/png;base64,') >= 2
    assert image.server_timestamp <= page.server_timestamp  # the summary first, then the page

    # a colleague is refused, in words, with no file
    room = await colleague.create_room([bot.user_id], direct=True)
    await colleague.wait_joined(room, bot.user_id)
    refused = await colleague.reply_to(bot.user_id, await colleague.send(room, "rapport"))
    assert "correspondant" in content(refused)["body"]
    assert not any(isinstance(e, (RoomMessageImage, RoomMessageFile)) for r, e in colleague.events if r == room)
