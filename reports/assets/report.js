// mcp-authlab HTML report: draws each scenario's sequence diagram (SVG) from the report embedded
// in the page, and shows the raw exchange of a clicked arrow. Inlined into the page
// (reports/src/html.rs); loads nothing. Report strings are only ever written with textContent
// or setAttribute, never parsed as markup.
(function () {
  'use strict';

  var NS = 'http://www.w3.org/2000/svg';
  var LANE = 250; // distance between two lifelines
  var LEFT = 64; // room for the sequence number and the mark
  var TOP = 70; // room for the participant boxes
  var ROW = 50; // height of one exchange (request and response)
  var CHAR = 7.25; // width of one character of the 12px monospace labels
  var REASONS = {
    200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
    301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect',
    308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
    404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 415: 'Unsupported Media Type',
    429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
    502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'
  };
  var GLYPHS = { fail: '✖', warn: '!', suspect: '?' };

  var dataElement = document.getElementById('authlab-report');
  if (!dataElement) {
    return;
  }
  var data = JSON.parse(dataElement.textContent);
  var scenarios = data.report.scenarios;

  function svg(name, attributes, text) {
    var element = document.createElementNS(NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      element.setAttribute(key, String(attributes[key]));
    });
    if (text !== undefined) {
      element.textContent = text;
    }
    return element;
  }

  function html(tag, className, text) {
    var element = document.createElement(tag);
    if (className) {
      element.className = className;
    }
    if (text !== undefined) {
      element.textContent = text;
    }
    return element;
  }

  function parseUrl(url) {
    try {
      return new URL(url);
    } catch (e) {
      return null;
    }
  }

  function pathOf(url) {
    var parsed = parseUrl(url);
    return parsed ? parsed.pathname + parsed.search : url;
  }

  function fit(text, width) {
    var max = Math.max(4, Math.floor(width / CHAR));
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }

  function statusText(exchange) {
    if (exchange.answered === false) {
      return 'no response';
    }
    var reason = REASONS[exchange.status];
    return reason ? exchange.status + ' ' + reason : String(exchange.status);
  }

  // The origin each participant answered on (the first request it got), shown in its box.
  function origins(trace) {
    var found = {};
    trace.forEach(function (exchange) {
      var parsed = parseUrl(exchange.url);
      if (parsed && !(exchange.to in found)) {
        found[exchange.to] = parsed.host;
      }
    });
    return found;
  }

  function arrowHead(x, y, direction, className) {
    var back = x - direction * 9;
    return svg('polygon', {
      'class': className,
      points: x + ',' + y + ' ' + back + ',' + (y - 4.5) + ' ' + back + ',' + (y + 4.5)
    });
  }

  function markClass(mark) {
    if (!mark) {
      return '';
    }
    return mark === 'suspect' ? ' suspect' : ' failing ' + mark;
  }

  function drawExchange(root, index, exchange, row, lane, width) {
    var view = data.views[index];
    var mark = view.marks[exchange.seq];
    var top = TOP + row * ROW;
    var group = svg('g', {
      'class': 'exchange' + markClass(mark) + (exchange.answered === false ? ' unanswered' : ''),
      id: 's' + index + '-x' + exchange.seq,
      'data-seq': exchange.seq,
      tabindex: 0,
      role: 'button'
    });
    group.appendChild(svg('title', {}, '#' + exchange.seq + ' ' + exchange.method + ' ' +
      exchange.url + ' → ' + statusText(exchange) + ' (click for the raw exchange)'));
    group.appendChild(svg('rect', { 'class': 'row-bg', x: 2, y: top + 2, width: width - 4, height: ROW - 4, rx: 5 }));
    group.appendChild(svg('text', { 'class': 'seq', x: 8, y: top + 29 }, '#' + exchange.seq));
    if (mark) {
      var marker = svg('g', { 'class': 'marker mark-' + mark });
      marker.appendChild(svg('circle', { cx: 46, cy: top + ROW / 2, r: 9 }));
      marker.appendChild(svg('text', { x: 46, y: top + ROW / 2 + 4, 'text-anchor': 'middle' }, GLYPHS[mark]));
      group.appendChild(marker);
    }
    var x1 = lane(exchange.from);
    var x2 = lane(exchange.to);
    var yRequest = top + 20;
    var yResponse = top + 40;
    var label = exchange.method + ' ' + pathOf(exchange.url);
    if (x1 === x2) {
      // A participant calling itself: a loop to the right of its lifeline.
      group.appendChild(svg('path', {
        'class': 'arrow arrow-request',
        fill: 'none',
        d: 'M' + x1 + ',' + yRequest + ' h36 v' + (yResponse - yRequest) + ' h-30'
      }));
      group.appendChild(arrowHead(x1, yResponse, -1, 'head'));
      group.appendChild(svg('text', { 'class': 'label', x: x1 + 42, y: yRequest + 4 },
        fit(label + ' → ' + statusText(exchange), LANE - 50)));
      root.appendChild(group);
      return;
    }
    var direction = x2 > x1 ? 1 : -1;
    var span = Math.abs(x2 - x1);
    group.appendChild(svg('line', {
      'class': 'arrow arrow-request', x1: x1, y1: yRequest, x2: x2 - direction * 8, y2: yRequest
    }));
    group.appendChild(arrowHead(x2, yRequest, direction, 'head'));
    group.appendChild(svg('text', {
      'class': 'label', x: (x1 + x2) / 2, y: yRequest - 6, 'text-anchor': 'middle'
    }, fit(label, span - 16)));
    if (exchange.answered === false) {
      group.appendChild(svg('text', {
        'class': 'no-response', x: x2 - direction * 12, y: yResponse,
        'text-anchor': direction > 0 ? 'end' : 'start'
      }, '✕ no response (' + exchange.duration_ms + ' ms)'));
    } else {
      group.appendChild(svg('line', {
        'class': 'arrow arrow-response', x1: x2, y1: yResponse, x2: x1 + direction * 8, y2: yResponse
      }));
      group.appendChild(arrowHead(x1, yResponse, -direction, 'head response'));
      group.appendChild(svg('text', {
        'class': 'status s' + String(exchange.status).charAt(0), x: (x1 + x2) / 2, y: yResponse - 5,
        'text-anchor': 'middle'
      }, statusText(exchange)));
    }
    root.appendChild(group);
  }

  function drawDiagram(index) {
    var scenario = scenarios[index];
    var view = data.views[index];
    var host = document.querySelector('.diagram[data-scenario="' + index + '"]');
    if (!host || !scenario.trace || scenario.trace.length === 0) {
      return;
    }
    var lanes = {};
    view.participants.forEach(function (participant, i) {
      lanes[participant.id] = i;
    });
    function lane(id) {
      return LEFT + LANE / 2 + (lanes[id] || 0) * LANE;
    }
    var width = LEFT + view.participants.length * LANE + 8;
    var height = TOP + scenario.trace.length * ROW + 12;
    var root = svg('svg', {
      'class': 'sequence',
      width: width,
      height: height,
      viewBox: '0 0 ' + width + ' ' + height,
      role: 'group',
      'aria-label': 'Sequence diagram of ' + scenario.id
    });
    var hosts = origins(scenario.trace);
    view.participants.forEach(function (participant) {
      var x = lane(participant.id);
      root.appendChild(svg('line', { 'class': 'lifeline', x1: x, y1: 56, x2: x, y2: height - 6 }));
      var box = svg('g', { 'class': 'participant' });
      box.appendChild(svg('rect', { x: x - LANE / 2 + 16, y: 10, width: LANE - 32, height: 46, rx: 6 }));
      box.appendChild(svg('text', { 'class': 'name', x: x, y: 30, 'text-anchor': 'middle' },
        fit(participant.label, LANE - 40)));
      if (hosts[participant.id]) {
        box.appendChild(svg('text', { 'class': 'origin', x: x, y: 47, 'text-anchor': 'middle' },
          fit(hosts[participant.id], LANE - 40)));
      }
      root.appendChild(box);
    });
    scenario.trace.forEach(function (exchange, row) {
      drawExchange(root, index, exchange, row, lane, width);
    });
    root.addEventListener('click', function (event) {
      var group = event.target.closest('g.exchange');
      if (group) {
        select(index, Number(group.getAttribute('data-seq')), false);
      }
    });
    root.addEventListener('keydown', function (event) {
      var group = event.target.closest('g.exchange');
      if (group && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        select(index, Number(group.getAttribute('data-seq')), false);
      }
    });
    host.appendChild(root);
    drawLegend(index);
  }

  function drawLegend(index) {
    var legend = document.querySelector('.legend[data-scenario="' + index + '"]');
    if (!legend) {
      return;
    }
    var present = {};
    Object.keys(data.views[index].marks).forEach(function (seq) {
      present[data.views[index].marks[seq]] = true;
    });
    var items = [
      ['fail', '✖ failing step', 'named by a failed check'],
      ['warn', '! warned step', 'named by a check that warned'],
      ['suspect', '? suspect', 'no check named the failing step; this request got no response or a 5xx']
    ];
    items.forEach(function (item) {
      if (present[item[0]]) {
        var entry = html('span', 'item');
        entry.appendChild(html('span', 'mark ' + item[0], item[1]));
        entry.appendChild(document.createTextNode(': ' + item[2]));
        legend.appendChild(entry);
      }
    });
    legend.appendChild(html('span', 'item', 'solid arrow: request · dashed arrow: response'));
    legend.appendChild(html('span', 'item', 'click an arrow for the raw exchange'));
    legend.hidden = false;
  }

  function prettyBody(body) {
    var trimmed = body.trim();
    if (trimmed.charAt(0) === '{' || trimmed.charAt(0) === '[') {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch (e) {
        return body;
      }
    }
    return body;
  }

  function headersPart(parent, title, headers) {
    parent.appendChild(html('h4', '', title));
    var names = Object.keys(headers || {});
    if (names.length === 0) {
      parent.appendChild(html('div', 'none', 'none recorded'));
      return;
    }
    var table = html('table', 'headers');
    names.forEach(function (name) {
      var row = html('tr');
      row.appendChild(html('td', '', name));
      row.appendChild(html('td', '', headers[name]));
      table.appendChild(row);
    });
    parent.appendChild(table);
  }

  function bodyPart(parent, title, body) {
    parent.appendChild(html('h4', '', title));
    if (body === undefined || body === null || body === '') {
      parent.appendChild(html('div', 'none', 'none'));
    } else {
      parent.appendChild(html('pre', '', prettyBody(body)));
    }
  }

  function participantLabel(index, id) {
    var found = data.views[index].participants.filter(function (p) { return p.id === id; })[0];
    return found ? found.label : id;
  }

  function fillDetail(panel, index, exchange) {
    panel.textContent = '';
    var title = html('div', 'title');
    title.appendChild(html('strong', '', '#' + exchange.seq + ' ' + exchange.method + ' ' + exchange.url));
    title.appendChild(html('span', 'status', '→ ' + statusText(exchange)));
    title.appendChild(html('span', 'who', participantLabel(index, exchange.from) + ' → ' +
      participantLabel(index, exchange.to) + ' · ' + exchange.duration_ms + ' ms'));
    var close = html('button', 'close', 'Close');
    close.type = 'button';
    close.addEventListener('click', function () {
      select(index, exchange.seq, false);
    });
    title.appendChild(close);
    panel.appendChild(title);
    var cited = data.views[index].cited_by[exchange.seq];
    if (cited && cited.length) {
      panel.appendChild(html('p', 'cited', 'Named by: ' + cited.join(', ')));
    }
    var parts = html('div', 'parts');
    var request = html('div', 'request');
    headersPart(request, 'Request headers', exchange.request_headers);
    bodyPart(request, 'Request body', exchange.request_body);
    var response = html('div', 'response');
    if (exchange.answered === false) {
      response.appendChild(html('h4', '', 'Response'));
      response.appendChild(html('div', 'none', 'none: the server never answered'));
    } else {
      headersPart(response, 'Response headers', exchange.response_headers);
      bodyPart(response, 'Response body', exchange.response_body);
    }
    parts.appendChild(request);
    parts.appendChild(response);
    panel.appendChild(parts);
  }

  var selected = {};

  // Shows the raw exchange `seq` of scenario `index` (hides it when it is already shown).
  function select(index, seq, reveal) {
    var panel = document.querySelector('.exchange-detail[data-scenario="' + index + '"]');
    var group = document.getElementById('s' + index + '-x' + seq);
    var exchange = scenarios[index].trace.filter(function (e) { return e.seq === seq; })[0];
    if (!panel || !group || !exchange) {
      return;
    }
    var previous = selected[index];
    if (previous !== undefined) {
      var old = document.getElementById('s' + index + '-x' + previous);
      if (old) {
        old.classList.remove('selected');
      }
    }
    if (previous === seq && !reveal) {
      delete selected[index];
      panel.hidden = true;
      return;
    }
    selected[index] = seq;
    group.classList.add('selected');
    fillDetail(panel, index, exchange);
    panel.hidden = false;
    if (reveal) {
      group.scrollIntoView({ block: 'center', inline: 'nearest' });
    }
  }

  for (var index = 0; index < scenarios.length; index++) {
    try {
      drawDiagram(index);
    } catch (error) {
      // One scenario the script cannot draw must not keep the others from being drawn.
      var host = document.querySelector('.diagram[data-scenario="' + index + '"]');
      if (host) {
        host.appendChild(html('p', 'error-text', 'This diagram could not be drawn: ' + error));
      }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('a.evidence-link'), function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      select(Number(link.getAttribute('data-scenario')), Number(link.getAttribute('data-seq')), true);
    });
  });

  // A link to an exchange (`report.html#s1-x4`) opens its scenario and shows it.
  var target = /^#s(\d+)-x(\d+)$/.exec(window.location.hash);
  if (target) {
    var scenario = document.getElementById('scenario-' + target[1]);
    if (scenario) {
      scenario.open = true;
      select(Number(target[1]), Number(target[2]), true);
    }
  }
})();
