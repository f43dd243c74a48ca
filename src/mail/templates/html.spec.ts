import { escapeHtml, html, htmlDocument, minutesInWords } from './html';

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['Tom & Jerry', 'Tom &amp; Jerry'],
    [`" onmouseover='x'`, '&quot; onmouseover=&#39;x&#39;'],
    ['&amp;', '&amp;amp;'],
    ['plain text', 'plain text'],
  ])('shows %j as it is', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
  });
});

describe('html', () => {
  it('escapes every field and keeps the markup around them', () => {
    expect(html`<a href="${'x" onclick="y'}">${'<b>'}</a>`.markup).toBe(
      '<a href="x&quot; onclick=&quot;y">&lt;b&gt;</a>',
    );
  });

  it('keeps a nested piece of html as it is, its fields escaped once', () => {
    expect(html`<p>${html`<b>${'1 < 2'}</b>`}</p>`.markup).toBe('<p><b>1 &lt; 2</b></p>');
  });

  it('writes numbers', () => {
    expect(html`${3} of ${10}`.markup).toBe('3 of 10');
  });
});

describe('htmlDocument', () => {
  it('escapes the title and wraps each paragraph', () => {
    const document = htmlDocument('Reset <your> password', [html`one`, html`two`]);
    expect(document).toContain('<title>Reset &lt;your&gt; password</title>');
    expect(document).toContain('<p>one</p>\n<p>two</p>');
  });
});

describe('minutesInWords', () => {
  it.each([
    [1, '1 minute'],
    [30, '30 minutes'],
    [60, '1 hour'],
    [90, '90 minutes'],
    [1440, '24 hours'],
  ])('%d minutes: %j', (minutes, words) => {
    expect(minutesInWords(minutes)).toBe(words);
  });
});
