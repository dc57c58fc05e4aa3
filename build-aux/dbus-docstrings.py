#!/usr/bin/env python3
# dbus-docstrings.py IN OUT: the D-Bus interface description with each
# member's comment turned into an org.gtk.GDBus.DocString annotation.
#
# data/org.ccproxy.Proxy1.xml documents every interface, method,
# property, signal and argument in gtk-doc comments, which gdbus-codegen
# reads but live introspection (busctl, d-spy, gdbus introspect) never
# shows. The build makes this copy, and cc-proxyd publishes it.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import sys
import xml.etree.ElementTree as ET

DOCSTRING = 'org.gtk.GDBus.DocString'
MEMBERS = ('interface', 'method', 'property', 'signal')


def parse_comment(text):
    """'Name: text\n@arg: text\n\nmore' -> (name, text, {arg: text}).

    Paragraphs stay apart (a blank line between them); an interface's
    @short_description is its first paragraph.
    """
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or ':' not in lines[0]:
        return None, None, {}
    name, first = lines[0].split(':', 1)
    paragraphs, args, current = [[first.strip()]], {}, None
    for line in lines[1:]:
        m = re.match(r'@(\w+):\s*(.*)', line)
        if m and m.group(1) == 'short_description':
            paragraphs.append([m.group(2)])
            current = None
        elif m:
            current = m.group(1)
            args[current] = m.group(2)
        elif not line:
            current = None
            paragraphs.append([])
        elif current is not None:
            args[current] += ' ' + line
        else:
            paragraphs[-1].append(line)
    text = '\n\n'.join(' '.join(' '.join(p).split()) for p in paragraphs if ' '.join(p).strip())
    return name.strip(), text, args


def annotate(element, text):
    if not text:
        return
    note = ET.Element('annotation', {'name': DOCSTRING, 'value': text})
    element.insert(0, note)


def walk(parent, missing):
    comment = None
    for child in list(parent):
        if child.tag is ET.Comment:
            comment = child.text
            parent.remove(child)
            continue
        if child.tag in MEMBERS:
            name, text, args = parse_comment(comment) if comment else (None, None, {})
            if name is not None and name != child.get('name'):
                sys.exit(f'a comment names {name}, but documents {child.tag} {child.get("name")}')
            if not text:
                missing.append(f'{child.tag} {child.get("name")}')
            annotate(child, text)
            for arg in child.findall('arg'):
                if arg.get('name') in args:
                    annotate(arg, args[arg.get('name')])
                elif child.tag != 'interface':
                    missing.append(f'argument {arg.get("name")} of {child.get("name")}')
            if child.tag == 'interface':
                walk(child, missing)
        comment = None


def main():
    if len(sys.argv) != 3:
        print('usage: dbus-docstrings.py IN OUT', file=sys.stderr)
        return 2
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    tree = ET.parse(sys.argv[1], parser)
    missing = []
    walk(tree.getroot(), missing)
    if missing:
        print('undocumented in ' + sys.argv[1] + ': ' + ', '.join(missing), file=sys.stderr)
        return 1
    ET.indent(tree)
    tree.write(sys.argv[2], encoding='unicode', xml_declaration=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
