"""Old translator agent (replaced by CloudTranslationService). Not deployed."""
import urllib2
import json


class OldTranslator(object):
    def translate(self, text, target="en"):
        url = "http://translate.example.invalid/?q=%s&tl=%s" % (text, target)
        print "translating", text
        return json.loads(urllib2.urlopen(url).read())


import googletrans
